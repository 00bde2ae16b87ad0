// SlotPoller: how much WAL the source keeps for the slot, and whether the slot is at risk.
//
// For: polling the source every `interval` on its own thread (sql/ops/slot_poll.sql): its
// current WAL position, handed to `on_source_position` (the daemon's lag in bytes is measured
// against it, so lag keeps growing while the bridge cannot stream or apply), and the slot's
// wal_status, safe_wal_size and retained WAL, handed to Metrics
// (dualwrite_slot_retained_wal_bytes, _slot_wal_status, _slot_safe_wal_size_bytes), and whether
// the poll worked (dualwrite_connection_up{connection="source_poll"}). Connect and query have
// deadlines and end when the poller stops (ops/poll_loop.hpp). A failed poll (connection refused,
// query error, slot missing) counts dualwrite_errors_total{stage="slot_poll"} and logs a
// warning; the connection is reopened at the next poll. Polling is independent of streaming so that
// retained WAL stays visible exactly when streaming is broken, which is when it grows. Not for:
// deciding that the slot is lost (the stream stage does that, fatally); this only reports.
// Thread-safety: start()/stop() from one thread; poll_once() must not run concurrently with
// the thread (use one or the other).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/poll_loop.hpp"

namespace dualwrite::ops {

struct SlotPollerConfig {
  std::string conninfo;  // the source, a normal (not replication) connection
  std::string password;  // from [source] password_file; passed beside the conninfo
  std::string slot;
  std::chrono::milliseconds interval{5'000};
  // Called with pg_current_wal_lsn() after every successful poll (on the poller's thread).
  std::function<void(Lsn)> on_source_position;
};

// Pure: a row's text values (nullptr for NULL) as a SlotState. An error names the bad field.
Result<SlotState> parse_slot_row(const char* wal_status, const char* safe_wal_size,
                                 const char* retained);

class SlotPoller {
 public:
  SlotPoller(SlotPollerConfig config, Metrics& metrics);
  ~SlotPoller();  // stops the thread
  SlotPoller(const SlotPoller&) = delete;
  SlotPoller& operator=(const SlotPoller&) = delete;

  // Polls now, then every interval, on a thread of its own.
  void start();
  void stop();
  // One poll on the calling thread: updates Metrics, or counts the error and logs it.
  Result<SlotState> poll_once();

 private:
  // The poll's query and what its row says; throws pg::DbError when the source cannot be asked.
  Result<SlotState> query();

  SlotPollerConfig config_;
  Metrics& metrics_;
  PollLoop loop_;  // last: stopped before the configuration goes
};

}  // namespace dualwrite::ops
