#include "dualwrite/ops/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/legacy_schema.hpp"
#include "dualwrite/translate/ops.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::ops {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

std::string str(std::string_view s) {
  return std::string(s);
}

// Apply (target transaction) duration: a batch usually takes milliseconds, a large one seconds.
const prometheus::Histogram::BucketBoundaries kApplyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
// Source commit to target commit: batching delay plus apply; minutes when catching up.
const prometheus::Histogram::BucketBoundaries kCommitToApplyBuckets = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};

// A family of gauges (or counters) with labels, and one without labels.
prometheus::Family<prometheus::Gauge>& gauges(prometheus::Registry& r, const char* name,
                                              const char* help) {
  return BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return gauges(r, name, help).Add({});
}
prometheus::Family<prometheus::Counter>& counters(prometheus::Registry& r, const char* name,
                                                  const char* help) {
  return BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return counters(r, name, help).Add({});
}

}  // namespace

Metrics::Metrics(std::string_view version) : registry_(std::make_shared<prometheus::Registry>()) {
  // In this order: the exposition lists each type's families in the order they were registered.
  add_stream_metrics(version);
  add_change_metrics();
  add_apply_metrics();
  add_process_metrics();
  refresh_process();
}

// The build, the connections, lag, the slot and the three positions.
void Metrics::add_stream_metrics(std::string_view version) {
  auto& r = *registry_;
  gauges(r, "dualwrite_build_info", "Always 1; the version label says which dualwrite is running")
      .Add({{"version", str(version)}})
      .Set(1);
  source_connected_ = &gauge(r, "dualwrite_source_connected",
                             "1 while the replication connection to the source is streaming");
  connection_family_ = &gauges(r, "dualwrite_connection_up",
                               "1 while the connection is up: source_replication (streaming), "
                               "target_apply (the apply session), source_poll and target_poll "
                               "(the slot and verify pollers' last poll worked)");
  for (auto c : kConnections) connection_family_->Add({{"connection", str(c)}});
  target_wait_ = &gauge(r, "dualwrite_target_wait_seconds",
                        "How long the apply thread has been waiting for an answer from the "
                        "target (a statement in flight, a lock, a silent server); 0 when not "
                        "waiting");
  stalled_ = &gauge(r, "dualwrite_apply_stalled_seconds",
                    "How long changes have been waiting to be applied without the bridge "
                    "moving forward (no commit applied, no further change accepted); 0 when "
                    "nothing is pending");
  lag_bytes_ = &gauge(r, "dualwrite_replication_lag_bytes",
                      "The source's current WAL position (pg_current_wal_lsn) minus the "
                      "position the bridge has handled (applied, or passed over while caught "
                      "up), in bytes");
  lag_seconds_ = &gauge(r, "dualwrite_replication_lag_seconds",
                        "Age of the oldest source commit not yet applied; while not streaming "
                        "and the source has WAL past the handled position, time since the "
                        "bridge was last caught up; 0 when caught up");
  retained_wal_ = &gauge(r, "dualwrite_slot_retained_wal_bytes",
                         "WAL the source keeps for the slot: pg_current_wal_lsn() - "
                         "restart_lsn, in bytes");
  safe_wal_size_family_ = &gauges(r, "dualwrite_slot_safe_wal_size_bytes",
                                  "pg_replication_slots.safe_wal_size: WAL that can still be "
                                  "written before the slot is at risk of being invalidated; "
                                  "absent when max_slot_wal_keep_size is unlimited");
  auto& wal_status = gauges(r, "dualwrite_slot_wal_status",
                            "pg_replication_slots.wal_status of the slot: 1 for the current "
                            "status, 0 for the others (all 0 when the slot is missing)");
  for (auto s : kWalStatuses) wal_status_.emplace_back(s, &wal_status.Add({{"status", str(s)}}));
  received_lsn_ = &gauge(r, "dualwrite_received_lsn",
                         "Highest WAL position received from the source, as a byte offset");
  applied_lsn_ = &gauge(r, "dualwrite_applied_lsn",
                        "Highest WAL position the target has durably applied (its "
                        "replication origin), as a byte offset");
  confirmed_lsn_ = &gauge(r, "dualwrite_confirmed_flush_lsn",
                          "Position confirmed to the source as flushed (the slot's "
                          "confirmed_flush_lsn), as a byte offset");
}

// Per legacy table: changes by operation, dead letters by reason, merged duplicates; and the
// rows written per target table.
void Metrics::add_change_metrics() {
  auto& r = *registry_;
  using translate::LegacyTable;
  auto& changes = counters(r, "dualwrite_changes_total",
                           "Legacy row changes received, by legacy table and operation");
  auto& dead = counters(r, "dualwrite_dead_letters_total",
                        "Changes that could not be translated or applied and were stored as "
                        "dead letters, by legacy table and reason (table unknown_relation: a "
                        "relation that is not a legacy table, reason schema_mismatch)");
  auto& merged = counters(r, "dualwrite_duplicates_merged_total",
                          "Duplicate legacy rows merged into one target row, by legacy table");
  for (std::size_t t = 0; t < apply::ApplyStats::kTables; ++t) {
    const auto table = str(translate::name_of(static_cast<LegacyTable>(t)));
    for (std::size_t o = 0; o < apply::ApplyStats::kOps; ++o) {
      const auto op = str(translate::name_of(static_cast<translate::Operation>(o)));
      changes_[t][o] = &changes.Add({{"table", table}, {"operation", op}});
    }
    for (std::size_t k = 0; k < apply::ApplyStats::kReasons; ++k) {
      const auto reason = str(translate::name_of(static_cast<translate::DeadLetterReason>(k)));
      dead_letters_[t][k] = &dead.Add({{"table", table}, {"reason", reason}});
    }
    merged_[t] = &merged.Add({{"table", table}});
  }
  unknown_relation_letters_ = &dead.Add(
      {{"table", str(kUnknownRelationLabel)},
       {"reason", str(translate::name_of(translate::DeadLetterReason::schema_mismatch))}});
  auto& rows = counters(r, "dualwrite_rows_written_total",
                        "Rows written to the new tables, by main target table");
  for (std::size_t k = 0; k < translate::kOpKindCount; ++k) {
    const auto& info = translate::info(static_cast<translate::OpKind>(k));
    rows_written_.push_back(&rows.Add({{"table", str(info.target_table)}}));
  }
}

// Transactions and their timings, unresolved dead letters, errors, reconnects, verification.
void Metrics::add_apply_metrics() {
  auto& r = *registry_;
  transactions_ =
      &counter(r, "dualwrite_transactions_total", "Source transactions applied to the target");
  apply_duration_ = &BuildHistogram()
                         .Name("dualwrite_apply_duration_seconds")
                         .Help(
                             "Duration of one target transaction (a batch of source "
                             "transactions), from its first statement to commit")
                         .Register(r)
                         .Add({}, kApplyBuckets);
  commit_to_apply_ = &BuildHistogram()
                          .Name("dualwrite_commit_to_apply_seconds")
                          .Help(
                              "Time from a source transaction's commit to the commit of the "
                              "target transaction that applied it")
                          .Register(r)
                          .Add({}, kCommitToApplyBuckets);
  live_transactions_ = &counter(r, "dualwrite_live_transactions_total",
                                "Streamed source transactions applied while they streamed and "
                                "committed by the live connection ([apply] streamed_transactions "
                                "= \"live\")");
  live_fallbacks_ = &counter(r, "dualwrite_live_fallbacks_total",
                             "Streamed source transactions that began live and gave way to "
                             "the spool (a lock conflict with the main connection, a refused "
                             "statement, a lost live connection)");
  dead_letters_unresolved_ = &gauge(r, "dualwrite_dead_letters_unresolved",
                                    "Dead letters neither retried successfully nor resolved");
  errors_family_ = &counters(r, "dualwrite_errors_total",
                             "Errors by pipeline stage (stream: sessions lost; apply: every failed "
                             "attempt at applying (rejected, timed out, connection lost); "
                             "target_connect: failed connection attempts; slot_poll: failed slot "
                             "polls; verify_poll: failed reads of dualwrite.verify_runs)");
  for (auto s : kErrorStages) errors_family_->Add({{"stage", str(s)}});
  reconnects_ = &counter(r, "dualwrite_reconnects_total",
                         "Replication sessions retried after a lost source connection");
  verify_family_ = &gauges(r, "dualwrite_verify_mismatches",
                           "Rows that differ between legacy and new tables at the last "
                           "verification, by table");
}

// The process_* series Prometheus' client libraries export (refresh_process() fills them).
void Metrics::add_process_metrics() {
  auto& r = *registry_;
  process_start_ = &gauge(r, "process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.");
  process_cpu_ =
      &counter(r, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
  process_rss_ = &gauge(r, "process_resident_memory_bytes", "Resident memory size in bytes.");
  process_fds_ = &gauge(r, "process_open_fds", "Number of open file descriptors.");
  process_max_fds_ = &gauge(r, "process_max_fds", "Maximum number of open file descriptors.");
}

Metrics::~Metrics() = default;

void Metrics::advance(prometheus::Counter& counter, const void* key, std::uint64_t now) {
  // Caller holds mu_.
  auto [it, inserted] = last_.try_emplace(key, 0);
  const std::uint64_t before = it->second;
  it->second = now;
  const std::uint64_t delta = now >= before ? now - before : now;  // a reset counts from 0
  if (delta > 0) counter.Increment(static_cast<double>(delta));
}

void Metrics::refresh(const apply::ApplyStats& apply, const stream::StreamStats& stream,
                      const progress::ProgressTracker::Snapshot& progress) {
  const auto& p = progress.positions;
  source_connected_->Set(stream.connected ? 1 : 0);
  set_connection("source_replication", stream.connected);
  received_lsn_->Set(static_cast<double>(p.received.value()));
  applied_lsn_->Set(static_cast<double>(p.durable.value()));
  confirmed_lsn_->Set(static_cast<double>(progress.confirmed.value()));
  dead_letters_unresolved_->Set(
      static_cast<double>(std::max<std::int64_t>(0, apply.unresolved_dead_letters.load())));

  std::lock_guard lock(mu_);
  for (std::size_t t = 0; t < apply::ApplyStats::kTables; ++t) {
    for (std::size_t o = 0; o < apply::ApplyStats::kOps; ++o) {
      advance(*changes_[t][o], &apply.changes[t][o], apply.changes[t][o].load());
    }
    for (std::size_t k = 0; k < apply::ApplyStats::kReasons; ++k) {
      advance(*dead_letters_[t][k], &apply.dead_letters[t][k], apply.dead_letters[t][k].load());
    }
    advance(*merged_[t], &apply.merged[t], apply.merged[t].load());
  }
  const auto& unknown =
      apply.dead_letters[apply::ApplyStats::kUnknownRelation]
                        [static_cast<std::size_t>(translate::DeadLetterReason::schema_mismatch)];
  advance(*unknown_relation_letters_, &unknown, unknown.load());
  for (std::size_t k = 0; k < translate::kOpKindCount; ++k) {
    advance(*rows_written_[k], &apply.rows_written[k], apply.rows_written[k].load());
  }
  advance(*transactions_, &apply.source_transactions, apply.source_transactions.load());
  advance(*live_transactions_, &apply.live_transactions, apply.live_transactions.load());
  advance(*live_fallbacks_, &apply.live_fallbacks, apply.live_fallbacks.load());
  // StreamStats is a copy: key its counters by the field's identity within this object.
  static const char stream_reconnects_key = 0;
  static const char stream_errors_key = 0;
  advance(*reconnects_, &stream_reconnects_key, stream.reconnects);
  advance(errors_family_->Add({{"stage", "stream"}}), &stream_errors_key, stream.reconnects);
}

void Metrics::set_lag(std::uint64_t bytes, double seconds) {
  lag_bytes_->Set(static_cast<double>(bytes));
  lag_seconds_->Set(seconds);
}

void Metrics::set_connection(std::string_view connection, bool up) {
  connection_family_->Add({{"connection", str(connection)}}).Set(up ? 1 : 0);
}

void Metrics::set_target_wait(double seconds) {
  target_wait_->Set(seconds);
}

void Metrics::set_stalled(double seconds) {
  stalled_->Set(seconds);
}

void Metrics::observe_apply(double seconds) {
  apply_duration_->Observe(seconds);
}

void Metrics::observe_commit_to_apply(double seconds) {
  commit_to_apply_->Observe(seconds < 0 ? 0 : seconds);  // clocks of two hosts may disagree
}

void Metrics::count_error(std::string_view stage) {
  errors_family_->Add({{"stage", str(stage)}}).Increment();
}

void Metrics::set_slot(const std::optional<SlotState>& state) {
  for (auto& [name, gauge] : wal_status_) {
    gauge->Set(state && state->wal_status == name ? 1 : 0);
  }
  retained_wal_->Set(state && state->retained_bytes ? static_cast<double>(*state->retained_bytes)
                                                    : 0);
  std::lock_guard lock(mu_);
  if (state && state->safe_wal_size) {
    if (!safe_wal_size_) safe_wal_size_ = &safe_wal_size_family_->Add({});
    safe_wal_size_->Set(static_cast<double>(*state->safe_wal_size));
  } else if (safe_wal_size_) {
    safe_wal_size_family_->Remove(safe_wal_size_);
    safe_wal_size_ = nullptr;
  }
}

void Metrics::set_verify_mismatches(std::string_view table, double mismatches) {
  verify_family_->Add({{"table", str(table)}}).Set(mismatches);
}

void Metrics::set_source_connected(bool connected) {
  source_connected_->Set(connected ? 1 : 0);
  set_connection("source_replication", connected);
}

void Metrics::refresh_process() {
  const auto stats = read_process_stats();
  if (!stats) return;
  process_start_->Set(stats->start_time_seconds);
  process_rss_->Set(stats->resident_bytes);
  process_fds_->Set(stats->open_fds);
  process_max_fds_->Set(stats->max_fds);
  std::lock_guard lock(mu_);
  if (stats->cpu_seconds > last_cpu_seconds_) {
    process_cpu_->Increment(stats->cpu_seconds - last_cpu_seconds_);
    last_cpu_seconds_ = stats->cpu_seconds;
  }
}

std::string Metrics::exposition() {
  refresh_process();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace dualwrite::ops
