// LivenessPolicy: whether the daemon is alive (systemd's WATCHDOG=1, /livez), and when a wait on
// the target has outlived its deadline.
//
// For: one pure decision per supervisor tick, tested with a fake clock. The apply thread is
// alive when it is
//   - turning its loop (it turned within `loop_quiet`), or
//   - knowingly waiting: inside a call that talks to the target (a statement in flight), and
//     either making progress in it (its activity counter moves: changes translated, statements
//     built) or quiet for less than `target_deadline` (statement_timeout plus a margin: the
//     server itself cancels a statement by then, so a longer silence means a server or network
//     that stopped answering).
// When the quiet wait passes its deadline, or a stop was requested and it has been quiet for
// `stop_grace`, the verdict asks to end the wait (the supervisor shuts the connection's socket:
// the apply thread gets a lost connection, which the reconnect loop handles, or exits on stop).
// An ended wait must give the thread back within `end_grace`; if not, the process is not alive
// and systemd's watchdog restarts it. So the watchdog proves progress or a bounded wait, not
// that the last statement was short.
// It also says when to log a long wait: first after `log_after`, then every `log_every`.
// Not for: sending anything (daemon/supervisor.hpp does) or measuring lag (progress/lag.hpp).
// Thread-safety: not synchronised; one supervisor thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace dualwrite::ops {

using LivenessClock = std::chrono::steady_clock;

struct LivenessLimits {
  LivenessClock::duration loop_quiet = std::chrono::seconds(10);
  LivenessClock::duration target_deadline = std::chrono::seconds(150);
  LivenessClock::duration stop_grace = std::chrono::seconds(3);
  LivenessClock::duration end_grace = std::chrono::seconds(15);
  LivenessClock::duration log_after = std::chrono::seconds(10);
  LivenessClock::duration log_every = std::chrono::seconds(30);
};

// What the apply thread last reported.
struct ApplyActivity {
  LivenessClock::time_point last_turn;  // the loop last turned
  // Inside a call that may wait on the target (connect, apply, commit), since then.
  std::optional<LivenessClock::time_point> call_since;
  // Moves while a long call makes progress (changes translated, statements built).
  std::uint64_t activity = 0;
};

struct LivenessVerdict {
  bool alive = false;
  // End the wait in progress (shut its connection down); `detail` says why.
  bool end_wait = false;
  // Log the wait in progress now (`detail` describes it).
  bool log_wait = false;
  // How long the apply thread has been quiet inside a target call (0 outside one).
  double waiting_seconds = 0;
  std::string detail;
};

class LivenessPolicy {
 public:
  explicit LivenessPolicy(LivenessLimits limits) : limits_(limits) {}

  LivenessVerdict assess(LivenessClock::time_point now, const ApplyActivity& apply,
                         bool stop_requested);
  const LivenessLimits& limits() const { return limits_; }

 private:
  LivenessLimits limits_;
  std::optional<std::uint64_t> last_activity_;
  LivenessClock::time_point last_activity_at_{};
  // The call whose wait was ended, and when.
  std::optional<LivenessClock::time_point> ended_call_;
  LivenessClock::time_point ended_at_{};
  // The call last logged about, and when.
  std::optional<LivenessClock::time_point> logged_call_;
  LivenessClock::time_point logged_at_{};
};

}  // namespace dualwrite::ops
