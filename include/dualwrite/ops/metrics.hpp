// Metrics: the Prometheus registry of daemon.md's metric table, filled from the counters the
// pipeline keeps.
//
// For: turning ApplyStats (apply thread), StreamStats (stream thread), the ProgressTracker's
// snapshot and the slot poller's findings into exported series, and rendering them as the text
// exposition format (/metrics). The pipeline keeps plain atomics and knows nothing of
// Prometheus; this is the only place that maps them onto names, labels and types.
// Invariants:
//  - exported counters never go down: refresh() remembers the last value it saw of every source
//    counter and increments by the difference. When a source counter goes backwards (a new
//    ApplyStats after a restart of the pipeline), the new value counts as the delta, as
//    Prometheus' rate() would do with a counter reset;
//  - every label combination the pipeline can produce is created at construction with 0, so
//    rate() and absent() work from the first scrape and the set of series is fixed;
//  - LSN gauges carry the 64-bit position as a double (exact up to 2^53 bytes = 8 PiB of WAL).
// Not for: serving HTTP (http_server.hpp) or querying the database (slot_poller.hpp).
// Thread-safety: every member function is safe from any thread (prometheus-cpp's metrics are
// thread-safe; the remembered counter values are behind a mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/driver.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace dualwrite::ops {

// The values of wal_status pg_replication_slots can report (PostgreSQL 13+).
inline constexpr std::string_view kWalStatuses[] = {"reserved", "extended", "unreserved", "lost"};

// The table label of dead letters of a relation that is not a legacy table (a renamed one, say;
// the letter itself names it).
inline constexpr std::string_view kUnknownRelationLabel = "unknown_relation";

// Error stages of dualwrite_errors_total{stage}. apply: every failed attempt at applying
// (a rejected batch, a timeout, a lost target connection); target_connect: every failed attempt
// at connecting to the target.
inline constexpr std::string_view kErrorStages[] = {
    "stream", "decode", "translate", "apply", "target_connect", "slot_poll", "verify_poll"};

// The connections of dualwrite_connection_up{connection}: the replication stream, the apply
// session, and the two pollers' sessions (slot state on the source, verify runs on the target).
inline constexpr std::string_view kConnections[] = {"source_replication", "target_apply",
                                                    "source_poll", "target_poll"};

// What the slot poller found in pg_replication_slots.
struct SlotState {
  std::string wal_status;                       // one of kWalStatuses; empty: unknown
  std::optional<std::int64_t> safe_wal_size;    // nullopt: no max_slot_wal_keep_size limit
  std::optional<std::uint64_t> retained_bytes;  // pg_current_wal_lsn() - restart_lsn
};

class Metrics {
 public:
  explicit Metrics(std::string_view version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // Copies the pipeline's counters and positions into the registry (and
  // dualwrite_source_connected from stream.connected). Call about once a second (the daemon's
  // supervisor) and once more before exit.
  void refresh(const apply::ApplyStats& apply, const stream::StreamStats& stream,
               const progress::ProgressTracker::Snapshot& progress);
  // dualwrite_replication_lag_bytes/_seconds (progress/lag.hpp computes them).
  void set_lag(std::uint64_t bytes, double seconds);
  // dualwrite_connection_up{connection}: `connection` is one of kConnections.
  void set_connection(std::string_view connection, bool up);
  // dualwrite_target_wait_seconds: how long the apply thread has been waiting for the target
  // without an answer (0 when it is not waiting).
  void set_target_wait(double seconds);
  // dualwrite_apply_stalled_seconds: how long work has been pending without the bridge moving
  // forward (0 when nothing is pending).
  void set_stalled(double seconds);

  // After each target commit: how long the target transaction took (send to commit returned).
  void observe_apply(double seconds);
  // After each target commit: source commit timestamp to target commit, per source transaction.
  void observe_commit_to_apply(double seconds);

  // One more error in `stage` (one of kErrorStages; others are counted as given).
  void count_error(std::string_view stage);
  // The slot poller's findings; a nullopt state marks the slot as missing (every status 0).
  void set_slot(const std::optional<SlotState>& state);
  // Result of `dualwrite verify` for one table.
  void set_verify_mismatches(std::string_view table, double mismatches);
  void set_source_connected(bool connected);

  // Updates the process_* metrics from /proc and renders the registry as the Prometheus text
  // exposition format (version 0.0.4).
  std::string exposition();

 private:
  using CounterFamily = prometheus::Family<prometheus::Counter>;
  using GaugeFamily = prometheus::Family<prometheus::Gauge>;
  using HistogramFamily = prometheus::Family<prometheus::Histogram>;

  // The constructor's parts: each registers its families and creates their series.
  void add_stream_metrics(std::string_view version);
  void add_change_metrics();
  void add_apply_metrics();
  void add_process_metrics();
  // Increments `counter` by how much `now` moved since the last call for the same `key`.
  void advance(prometheus::Counter& counter, const void* key, std::uint64_t now);
  void refresh_process();

  std::shared_ptr<prometheus::Registry> registry_;
  std::mutex mu_;
  std::map<const void*, std::uint64_t> last_;  // source counter -> last value seen
  double last_cpu_seconds_ = 0;

  prometheus::Gauge* source_connected_;
  GaugeFamily* connection_family_;
  prometheus::Gauge* target_wait_;
  prometheus::Gauge* stalled_;
  prometheus::Gauge* lag_bytes_;
  prometheus::Gauge* lag_seconds_;
  prometheus::Gauge* retained_wal_;
  GaugeFamily* safe_wal_size_family_;
  prometheus::Gauge* safe_wal_size_ = nullptr;
  std::vector<std::pair<std::string_view, prometheus::Gauge*>> wal_status_;
  prometheus::Gauge* received_lsn_;
  prometheus::Gauge* applied_lsn_;
  prometheus::Gauge* confirmed_lsn_;
  prometheus::Counter* changes_[apply::ApplyStats::kTables][apply::ApplyStats::kOps];
  std::vector<prometheus::Counter*> rows_written_;  // by OpKind (kinds share a table's series)
  prometheus::Counter* transactions_;
  prometheus::Counter* live_transactions_;
  prometheus::Counter* live_fallbacks_;
  prometheus::Histogram* apply_duration_;
  prometheus::Histogram* commit_to_apply_;
  prometheus::Counter* dead_letters_[apply::ApplyStats::kTables][apply::ApplyStats::kReasons];
  // schema_mismatch letters of relations that are not legacy tables (table="unknown_relation").
  prometheus::Counter* unknown_relation_letters_;
  prometheus::Gauge* dead_letters_unresolved_;
  prometheus::Counter* merged_[apply::ApplyStats::kTables];
  CounterFamily* errors_family_;
  prometheus::Counter* reconnects_;
  GaugeFamily* verify_family_;
  prometheus::Gauge* process_start_;
  prometheus::Counter* process_cpu_;
  prometheus::Gauge* process_rss_;
  prometheus::Gauge* process_fds_;
  prometheus::Gauge* process_max_fds_;
};

// The numbers of /proc/self the process_* metrics export.
struct ProcessStats {
  double start_time_seconds = 0;  // since the Unix epoch
  double cpu_seconds = 0;         // user + system
  double resident_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
};

// Pure: parses /proc/self/stat content; `boot_time` is btime of /proc/stat, `ticks` the clock
// ticks per second, `page_size` in bytes. nullopt when malformed.
std::optional<ProcessStats> parse_proc_stat(std::string_view stat, double boot_time, double ticks,
                                            double page_size);
// Reads /proc; nullopt when unavailable.
std::optional<ProcessStats> read_process_stats();

}  // namespace dualwrite::ops
