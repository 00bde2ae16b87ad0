// The applier: source transactions in, target transactions out, exactly once.
//
// For: turning translated changes into set-based, pipelined statements on the target (libpq
// pipeline mode: no round trip per row), one target transaction per batch of whole source
// transactions, with the replication origin advanced in that same transaction
// (pg_replication_origin_xact_setup), so the target's origin is the one truth of what has been
// applied. Dead letters (rule 6) are written in the same transaction as the changes around them.
//
// Invariants:
//  - ops reach the target in source commit order; consecutive ops of one kind share a statement
//    only when no two of them overwrite the same target row (translate's run keys);
//  - a target transaction holds only whole source transactions, except that one source
//    transaction larger than the batch limits is applied in bounded pieces inside a single
//    target transaction (memory stays bounded, atomicity stays whole);
//  - nothing is confirmed before commit() returned.
// Fast mode applies a batch as a whole; when the target rejects a statement (a constraint or
// type error) the whole target transaction is rolled back and the caller re-delivers the same
// source transactions in careful mode, where each change runs under its own savepoint and a
// change the target refuses becomes an apply_error dead letter, alone.
// Not for: deciding batch boundaries (the caller does, from its queue) or reading the stream.
// Thread-safety: one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/relation_cache.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::apply {

// Counters the ops stage exports. Written by the apply thread, read by any thread.
struct ApplyStats {
  static constexpr std::size_t kTables = translate::kLegacyTableCount;
  static constexpr std::size_t kOps = 4;
  static constexpr std::size_t kReasons = translate::kDeadLetterReasonCount;
  // dead_letters' row for relations that are not legacy tables (schema_mismatch only).
  static constexpr std::size_t kUnknownRelation = kTables;
  std::atomic<std::uint64_t> changes[kTables][kOps]{};
  std::atomic<std::uint64_t> rows_written[translate::kOpKindCount]{};
  std::atomic<std::uint64_t> dead_letters[kTables + 1][kReasons]{};
  std::atomic<std::uint64_t> merged[kTables]{};
  std::atomic<std::uint64_t> source_transactions{0};
  std::atomic<std::uint64_t> target_transactions{0};
  std::atomic<std::uint64_t> careful_retries{0};
  std::atomic<std::int64_t> unresolved_dead_letters{0};
};

struct ApplyOptions {
  std::string conninfo;
  std::string password;
  // The replication origin recording progress; empty for tools that apply outside the stream
  // (dead-letter retries), which must not compete with the daemon for it.
  std::string origin;
  std::size_t max_statement_rows = 4000;
  std::size_t max_statement_bytes = std::size_t{8} << 20;
  // Statements sent before the pipeline is synced and their results read: bounds what is in
  // flight (and the memory kept for possible dead letters).
  std::size_t sync_every_statements = 16;
  // The session's timeouts (sql/apply/session_timeouts.sql), set on every connection: the
  // role's or database's settings do not apply. 0: no limit.
  std::chrono::milliseconds statement_timeout{120'000};
  std::chrono::milliseconds lock_timeout{30'000};
  std::chrono::milliseconds idle_in_transaction_session_timeout{300'000};
};

// The target rejected a statement of the open batch (not a lost connection). The batch was
// rolled back; re-deliver it in careful mode.
class ApplyRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Applier {
 public:
  Applier(ApplyOptions options, ApplyStats& stats);
  ~Applier();
  Applier(const Applier&) = delete;
  Applier& operator=(const Applier&) = delete;

  // (Re)connects: session setup, prepared statements, the origin (created when missing), its
  // progress. Throws DbError.
  void connect();
  bool connected() const;
  // The target connection's socket (-1 when none), so that a supervisor can end a wait on it
  // that outlived its deadline (pq::shut_down).
  int socket() const { return conn_.get() != nullptr ? PQsocket(conn_.get()) : -1; }
  // End LSN of the last source commit the target has applied (0/0 when none).
  Lsn origin_progress() const { return origin_progress_; }

  void set_careful(bool careful) { careful_ = careful; }
  bool careful() const { return careful_; }

  // A source transaction begins; opens a target transaction when none is open.
  void begin(const translate::SourcePosition& position);
  void apply(const translate::Change& change);
  void truncate(translate::LegacyTable table);
  // A change the relation cache could not map (schema_mismatch): its dead letter, in stream
  // order, with the row as the stream carried it.
  void dead_letter(const translate::Unmapped& change);
  // The source transaction committed: it will be part of the next commit().
  void end(const translate::SourcePosition& position);
  // Commits the open target transaction with the origin at the last ended source commit;
  // returns that position (the caller may then confirm it). Throws ApplyRejected or DbError.
  Lsn commit();
  // Abandons the open target transaction (e.g. the stream restarted mid-transaction).
  void rollback();

  bool in_transaction() const { return in_txn_; }

  // Retries the unresolved dead letters selected by `where_sql` (a condition on
  // dualwrite.dead_letters, with $1… bound to `params`), oldest first, each in its own target
  // transaction under the current target state. A letter that now applies is marked resolved
  // (never deleted); one that still fails keeps its place with attempts + 1.
  struct RetryReport {
    std::vector<std::int64_t> resolved;
    std::vector<std::int64_t> failed;
    std::vector<std::pair<std::int64_t, std::string>> errors;
  };
  RetryReport retry_dead_letters(const std::string& where_sql,
                                 const std::vector<const char*>& params);
  // Changes and parameter bytes in the open target transaction.
  std::uint64_t pending_changes() const { return pending_changes_; }
  std::uint64_t pending_bytes() const { return pending_bytes_; }

 private:
  class RunBuilder;
  struct Record;
  struct Pending;

  void send_control(const char* sql);
  void flush_run();
  void sync();
  void write_dead_letter(const Record& record, translate::DeadLetterReason reason,
                         const std::string& detail);
  // The fallback when a letter cannot be written inside the batch (it timed out, or the batch's
  // transaction refused it): writes it in a transaction of its own on a separate connection,
  // with ten times statement_timeout (at least a minute); if the row itself cannot be stored,
  // the letter without it (the detail says why). Idempotent like write_dead_letter (letters
  // are de-duplicated by position). Throws DbError when even that fails.
  void write_dead_letter_in_own_transaction(const Record& record,
                                            translate::DeadLetterReason reason,
                                            const std::string& detail);
  void retry_letters(translate::DeadLetterReason reason, const std::vector<std::string>& keys);
  void apply_letters(const PGresult* letters);
  void send_outcome_recomputation();
  // Whether a statement sent and not yet synced may turn one of its changes into a letter.
  bool letters_may_be_in_flight() const;
  void reject_change(const translate::Change& change, const translate::Rejection& rejection);
  // What a dead letter of `change` needs; the legacy rows as JSON only `with_rows`.
  Record record_of(const translate::Change& change, bool with_rows) const;
  std::uint64_t remember(const translate::Change& change, bool eager);
  Record& record_at(std::uint64_t index);
  void apply_translated(const translate::Change& change, std::optional<std::int64_t> letter);

  ApplyOptions options_;
  ApplyStats& stats_;
  Connection conn_;
  translate::Translator translator_;
  // Retried letters are translated while the output of the change that unblocked them may
  // still be in use: each level of nesting gets its own translator.
  std::deque<translate::Translator> retry_translators_;
  std::size_t retry_depth_ = 0;
  std::unique_ptr<RunBuilder> builder_;
  std::deque<Pending> pending_;
  std::deque<Record> records_;
  std::uint64_t records_base_ = 0;            // global index of records_.front()
  std::vector<std::uint64_t> outer_records_;  // records of changes whose translation is nested
  std::int64_t unresolved_unlinked_ = 0;
  std::int64_t unresolved_missing_parent_ = 0;
  // (run id, slug) of recommendation items whose outcome the open transaction may change;
  // an empty slug: every item of the run.
  std::set<std::pair<std::string, std::string>> outcome_keys_;
  std::vector<std::int64_t> resolved_letters_;
  std::vector<std::int64_t> failed_retries_;
  std::optional<translate::SourcePosition> current_;   // the source transaction being applied
  std::optional<translate::SourcePosition> last_end_;  // the last ended in this target txn
  Lsn origin_progress_;
  bool in_txn_ = false;
  bool careful_ = false;
  std::uint64_t pending_changes_ = 0;
  std::uint64_t pending_bytes_ = 0;
  std::size_t unsynced_statements_ = 0;
  std::optional<std::string> first_error_;
};

// Formats PostgreSQL-epoch microseconds as a timestamptz literal ("2026-11-25 19:03:05.123456+00").
std::string format_pg_timestamp(std::int64_t micros_since_2000);

}  // namespace dualwrite::apply
