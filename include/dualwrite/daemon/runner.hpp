// The daemon: the pipeline wired together (`dualwrite run`).
//
// For: owning the threads and the restart policy. The stream thread (StreamDriver: replication
// connection, keepalives, status updates, source reconnects) hands frames through a bounded
// FrameQueue to the apply thread (this one), which decodes, translates and applies them
// (Consumer, Applier), closes a target transaction when its queue runs dry or a batch limit is
// reached, and only then reports the position as durable to the ProgressTracker, which is all
// the stream ever confirms to the server.
// Start-up: ensure_replication_setup is retried with the reconnect backoff (each attempt
// logged) while its failure is one time may cure (a database down or unreachable); at once
// fatal (exit 4 source, 5 target) for authentication, a missing database or role and the like
// (pg::transient_connect_failure). READY=1 is sent only once streaming.
// Restart policy, as a state machine:
//   streaming --target connection lost--> backoff, reconnect target, restart the stream from
//             the target's origin (frames in the queue are dropped; the slot re-sends them)
//   streaming --statement rejected-------> roll back, restart from the origin, careful mode
//             until past the rejected batch (each change under a savepoint; a refused change
//             becomes an apply_error dead letter), then fast mode again. Every failed attempt
//             is counted (dualwrite_errors_total{stage="apply"}) and the next waits a backoff
//             that only a commit resets
//   streaming --target silent past its deadline--> the supervisor shuts the connection down:
//             as a lost connection
//   streaming --idle after a change over 8 MiB (at most once a minute)--> restart the session
//             from the origin: both connections new, as libpq keeps a connection's buffers at
//             their largest (buffer_release.hpp); then the allocator is trimmed
//   streaming --slot missing or lost-----> fatal, exit code 6
//   streaming --SIGTERM------------------> finish the open source transaction's target
//             transaction if it is whole (else roll it back), confirm, exit 0
// Not for: parsing configuration or arguments (cli/), or metrics exposition (ops/).
// Thread-safety: run() is called once, on the thread that becomes the apply thread.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/config/config.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/daemon/setup.hpp"
#include "dualwrite/ops/health.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/notifier.hpp"
#include "dualwrite/progress/lag.hpp"

namespace dualwrite::daemon {

// What the daemon reports to, all optional: metrics, health (/livez, /readyz), and systemd
// (READY=1 once streaming, STATUS=, WATCHDOG=1 while the apply thread turns or knowingly waits),
// all fed every second by the supervisor (daemon/supervisor.hpp), which a stuck statement does
// not stop. `lag`: where the slot poller reports the source's position (run() keeps its own
// when none is given).
struct Observers {
  ops::Metrics* metrics = nullptr;
  ops::Health* health = nullptr;
  ops::Notifier* notifier = nullptr;
  progress::LagMonitor* lag = nullptr;
};

// The batch limits, which SIGHUP may change while the daemon runs (read by the apply thread).
struct BatchLimits {
  std::atomic<std::uint64_t> max_changes{0};
  std::atomic<std::uint64_t> max_bytes{0};
  std::atomic<std::int64_t> max_delay_ms{0};
  void set(const config::ApplyConfig& apply) {
    max_changes.store(apply.batch_max_changes);
    max_bytes.store(apply.batch_max_bytes);
    max_delay_ms.store(apply.batch_max_delay.count());
  }
};

// Runs until `stop` becomes true (exit 0) or a fatal error. Returns the exit status.
// `limits` (optional) overrides config.apply's batch limits and may change while running.
// First sets up publication, slot and origin (setup.hpp), with the operator's `setup` decisions.
int run(const config::Config& config, std::atomic<bool>& stop, apply::ApplyStats& stats,
        const Observers& observers = {}, BatchLimits* limits = nullptr,
        const SetupOptions& setup = {});

}  // namespace dualwrite::daemon
