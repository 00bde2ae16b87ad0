// Read-only looks at the bridge's bookkeeping, shared by `check`, `status`, `verify` and
// `decommission`: which migrations the target has, how far a bootstrap got, the last
// verification, the dead letters waiting, the gaps an operator accepted, the daemon's replay lag,
// and whether the slot still holds transactions the bridge has not applied.
//
// For: answering "where do things stand" from outside the daemon, on connections the caller
// owns (admin::connect_source / connect_target). Every function only reads; none of them
// consumes from the slot (pending_transactions peeks).
// Not for: the daemon's own progress tracking (progress/), or deciding what a finding means:
// the commands do that (a missing verify run is fatal to decommission, fine for status).
// Thread-safety: plain functions over connections owned by the caller; known_migrations() is a
// constant table.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::admin {

// One file of sql/migrations/: "20261125001700_bootstrap_state.sql" is {"20261125001700",
// "bootstrap_state"}.
struct Migration {
  std::string_view version;
  std::string_view name;
};

// Every file of sql/migrations/ when this binary was built, in file-name (= apply) order. The
// build globs the folder (CMake CONFIGURE_DEPENDS), so a new migration is known after a rebuild.
std::span<const Migration> known_migrations();

// An SQL identifier for the fixes the commands print ("ALTER TABLE public.x ..."): as is when
// it is lower-case letters, digits and underscores, else double-quoted with embedded quotes
// doubled. Reserved words are not detected: statements that get executed quote on the server
// (format('%I')) instead.
std::string quote_ident(std::string_view name);

// Whether a relation ("schema.name") exists in the connection's database.
bool relation_exists(apply::Connection& conn, const char* qualified_name);

// The known migrations without a row in dualwrite.schema_migrations: all of them when that table
// does not exist. Throws apply::DbError.
std::vector<Migration> missing_migrations(apply::Connection& target);

// dualwrite.bootstrap (+ bootstrap_chunks) for one slot.
struct BootstrapState {
  Lsn consistent_point;
  bool finished = false;
  std::string started_at;   // timestamps as the server prints them (UTC, second precision)
  std::string finished_at;  // '' while unfinished
  int snapshots = 0;
  std::int64_t chunks_done = 0;
  std::int64_t chunks_total = 0;
};
// nullopt when the slot was never bootstrapped (or the table does not exist). Throws DbError.
std::optional<BootstrapState> read_bootstrap(apply::Connection& target, const std::string& slot);

// One row of dualwrite.stream_gaps (migration 20261204000100): legacy changes the bridge was
// told to leave behind.
struct StreamGap {
  std::int64_t id = 0;
  std::string kind;             // slot_recreated | not_backfilled
  std::optional<Lsn> from_lsn;  // nullopt for not_backfilled (everything before to_lsn)
  Lsn to_lsn;
  std::string recorded_at;      // ISO 8601 UTC
  std::string acknowledged_by;  // the flag as given: "--accept-gap-from 0/16B3748"
  bool repaired = false;        // a finished bootstrap of the slot started at or after to_lsn
};
// The gaps of `slot`, oldest first; empty when none (or no table: migrations not applied).
// Throws DbError.
std::vector<StreamGap> read_stream_gaps(apply::Connection& target, const std::string& slot);

// "0/16B3748 to 0/16C0000" or "rows before 0/16C0000 not copied": what a gap left out.
std::string describe_gap_range(const StreamGap& gap);

// The latest dualwrite.verify_runs row (highest id: runs are numbered as they start).
struct VerifyRun {
  std::int64_t id = 0;
  std::string started_at;
  std::string finished_at;  // '' while running (or interrupted)
  std::optional<bool> clean;
  std::optional<std::int64_t> mismatches;
  std::optional<Lsn> source_lsn;
  std::optional<Lsn> applied_lsn;
  std::optional<double> age_seconds;  // now() - finished_at on the target's clock
};
// nullopt when there is no run (or no table). Throws DbError.
std::optional<VerifyRun> latest_verify_run(apply::Connection& target);

// Unresolved dead letters on the target.
struct DeadLetterSummary {
  std::int64_t unresolved = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_reason;  // reason order: by name
};
// Zeroes when the table does not exist. Throws DbError.
DeadLetterSummary dead_letter_summary(apply::Connection& target);

// Dead letters resolved (retried or marked) since verify run `verify_run_id` started: a retry
// writes the new tables outside the stream, after that run began to compare them.
std::int64_t dead_letters_resolved_since_verify(apply::Connection& target,
                                                std::int64_t verify_run_id);

// How far the daemon behind walsender `pid` is, in seconds: 0 when it has applied everything the
// walsender has read (replay_lsn >= sent_lsn: an idle, caught-up bridge, whose last replay_lag
// measurement would otherwise linger for as long as the daemon's status interval), else
// pg_stat_replication.replay_lag; nullopt when that walsender is gone or the server has no
// recent measurement.
std::optional<double> replay_lag_seconds(apply::Connection& source, int pid);

// The number of source transactions in the configured slot that touch the publication and are
// not applied: their commit record starts at or after `applied` (the origin holds the end of the
// last applied commit; an idle daemon reports the position up to which it has seen everything).
// `upto` bounds the look (nullopt: everything the slot holds now). Peeks
// (pg_logical_slot_peek_binary_changes with pgoutput, as the daemon would receive them): nothing
// is consumed. The slot must exist and not be active; throws DbError otherwise.
//
// Why this is needed: once the daemon is stopped, its positions no longer move, while the
// source's WAL keeps growing with writes that are none of the bridge's business (other
// databases, other tables, checkpoints). "Nothing left to apply" is then "the slot has no
// transaction past what was applied", not "applied >= pg_current_wal_lsn()".
std::int64_t pending_transactions(apply::Connection& source, const config::Config& config,
                                  Lsn applied, std::optional<Lsn> upto = std::nullopt);

}  // namespace dualwrite::admin
