// The applier: source transactions in, target transactions out, exactly once.
//
// For: orchestrating one target transaction: the translator turns each change into ops, the
// batch (apply/batch.hpp) groups them into one set-based statement per kind and phase, the
// statements go out through the pipeline (pg/pipeline.hpp: no round trip per statement), dead
// letters (rule 6) are written in the same transaction as the changes around them
// (apply/letters.cpp), and the replication origin is advanced in that same transaction
// (pg_replication_origin_xact_setup), so the target's origin is the one truth of what has been
// applied. The SQL lives in sql/apply/*.sql (apply/statements.hpp names it).
//
// Invariants:
//  - the target cannot tell the order of ops of one target transaction from the order of the
//    stream: ops that do not commute (a shared key, ops.hpp) keep their stream order;
//  - a target transaction holds only whole source transactions, except that one source
//    transaction larger than the batch limits is applied in bounded pieces inside a single
//    target transaction (memory stays bounded, atomicity stays whole);
//  - nothing is confirmed before commit() returned.
// Fast mode applies a batch as a whole; when the target rejects a statement (a constraint or
// type error) the whole target transaction is rolled back and the caller re-delivers the same
// source transactions in careful mode, where each change runs alone under its own savepoint and a
// change the target refuses becomes an apply_error dead letter, alone.
// Not for: deciding batch boundaries (the caller does, from its queue) or reading the stream.
// Thread-safety: one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "dualwrite/apply/batch.hpp"
#include "dualwrite/apply/statements.hpp"
#include "dualwrite/core/context.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/pg/connection.hpp"
#include "dualwrite/pg/pipeline.hpp"
#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/relation_cache.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::apply {

// Re-exported for the code that still names them through apply (see apply/pg.hpp).
using pg::Connection;
using pg::DbError;
using pg::ResultPtr;

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
  std::atomic<std::uint64_t> statements{0};         // set-based statements sent
  std::atomic<std::uint64_t> staged_statements{0};  // of which their rows went by COPY
  // Streamed transactions committed by the live applier (apply/live.hpp), and those that gave
  // way to the spool.
  std::atomic<std::uint64_t> live_transactions{0};
  std::atomic<std::uint64_t> live_fallbacks{0};
  std::atomic<std::int64_t> unresolved_dead_letters{0};
};

struct ApplyOptions {
  std::string conninfo;
  std::string password;
  // The replication origin recording progress; empty for tools that apply outside the stream
  // (dead-letter retries), which must not compete with the daemon for it.
  std::string origin;
  // Whether connect() takes the origin for the session (the main apply connection). false: the
  // origin is taken only for the COMMIT and given back after it (the live applier, apply/live.hpp:
  // PostgreSQL 15 lets one session hold an origin at a time).
  bool hold_origin = true;
  // What one batch buffers before its statements are sent (apply/batch.hpp).
  Batch::Limits batch{.max_rows = 10'000,
                      .max_bytes = std::size_t{16} << 20,
                      .max_phases = 32,
                      .max_statement_rows = 5'000};
  // A statement of at least this many rows goes by binary COPY into dualwrite.apply_stage and
  // the statement's staged form (apply/statements.hpp) instead of array parameters. 0: never,
  // the default: on the benchmark's target it was slower at every size (bench/README.md).
  std::size_t copy_min_rows = 0;
  // The session's timeouts (sql/apply/session_timeouts.sql), set on every connection: the
  // role's or database's settings do not apply. 0: no limit.
  std::chrono::milliseconds statement_timeout{120'000};
  std::chrono::milliseconds lock_timeout{30'000};
  std::chrono::milliseconds idle_in_transaction_session_timeout{300'000};
  // Run the session with session_replication_role = replica where the target allows it and
  // has no trigger or foreign key the statements do not stand in for (migration
  // 20261206000100, apply/session_role.hpp). false: always the default role.
  bool replica_role = true;
};

// The target rejected a statement of the open batch (not a lost connection). The batch was
// rolled back; re-deliver it in careful mode. `context`: the source transaction or change being
// worked on when it was rejected (core/context.hpp), when the batch stopped inside one.
class ApplyRejected : public std::runtime_error {
 public:
  ApplyRejected(const std::string& message, std::optional<ChangeContext> where,
                std::string state = {})
      : std::runtime_error(message), context(std::move(where)), sqlstate(std::move(state)) {}
  std::optional<ChangeContext> context;
  std::string sqlstate;  // of the statement the target refused ("" when not the server's)
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
  // Whether the session runs with session_replication_role = replica (apply/session_role.hpp).
  bool replica_role() const { return replica_role_; }
  // The target connection's socket (-1 when none), so that a supervisor can end a wait on it
  // that outlived its deadline (pg::shut_down).
  int socket() const { return conn_.get() != nullptr ? PQsocket(conn_.get()) : -1; }
  // End LSN of the last source commit the target has applied (0/0 when none).
  Lsn origin_progress() const { return origin_progress_; }

  void set_careful(bool careful) {
    careful_ = careful;
    refusals_logged_ = 0;
  }
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

  // Sends what the batch holds and waits for every result: the target transaction then holds
  // no lock that a statement still being run could add (apply/live.hpp applies a streamed
  // chunk this way before it goes idle). Throws as commit() does.
  void flush();
  // A savepoint in the open target transaction, after the ops buffered so far; and the way back
  // to it, which also drops what the batch buffered since (a source subtransaction aborted).
  // Throw as commit() does.
  void savepoint(std::string_view name);
  void rollback_to_savepoint(std::string_view name);
  // Gives the session's origin back / takes it again (outside a target transaction), so that
  // the live applier can commit with it in between. Taking it reads its progress again.
  // Throw DbError.
  void release_origin();
  void acquire_origin();
  // Called with the keys (translate/ops.hpp) of every op added from now on (letters aside),
  // before it is buffered: how apply/live.hpp sees which ops of two connections do not commute.
  using KeyObserver = std::function<void(std::size_t slot, std::span<const translate::OpKey>)>;
  void observe_keys(KeyObserver observer) { key_observer_ = std::move(observer); }
  // Reads the unresolved letters' counts again (between target transactions): a session that
  // was idle while others wrote letters (the live applier) must know they may be waiting.
  void refresh_letter_counts();
  // lock_timeout for the target transactions begun from now on (SET LOCAL at their BEGIN);
  // nullopt: the session's ([target] lock_timeout).
  void set_transaction_lock_timeout(std::optional<std::chrono::milliseconds> timeout);

  bool in_transaction() const { return in_txn_; }

  // Retries the unresolved dead letters `selection` names (sql/apply/retry_letters.sql), oldest
  // first, each in its own target transaction under the current target state. A letter that
  // now applies is marked resolved (never deleted); one that still fails keeps its place with
  // attempts + 1.
  struct LetterSelection {
    std::int64_t id = 0;  // one letter; 0: every letter of `reason`
    std::string reason;
    std::string skip = "{}";  // ids to leave out, as a PostgreSQL bigint[] literal
  };
  struct RetryReport {
    std::vector<std::int64_t> resolved;
    std::vector<std::int64_t> failed;
    std::vector<std::pair<std::int64_t, std::string>> errors;
  };
  RetryReport retry_dead_letters(const LetterSelection& selection);
  // Changes and parameter bytes in the open target transaction.
  std::uint64_t pending_changes() const { return pending_changes_; }
  std::uint64_t pending_bytes() const { return pending_bytes_; }

  // A change kept while it may still become a dead letter (defined in applier_internal.hpp).
  struct Record;

 private:
  class BatchSink;
  struct Level;

  void reset_state();
  void count_unresolved_letters();
  void take_letter_counts(const PGresult* rows);

  // Translation: a change's ops into the batch of the current nesting level.
  void translate_change(const translate::Change& change, std::optional<std::int64_t> letter);
  void add_op(std::size_t slot, std::span<const translate::Param> params,
              std::span<const translate::OpKey> keys, std::uint64_t record,
              std::string_view unblocks);
  void log_refusal(const std::string& message);
  void add_refusal(const translate::Change& change, translate::DeadLetterReason reason,
                   const std::string& detail);
  // A letter into the batch's letter statement, placed by `keys` (apply/batch.hpp).
  void add_letter(const Record& record, translate::DeadLetterReason reason,
                  const std::string& detail, std::span<const translate::OpKey> keys);

  // Execution: the batch's statements, phase by phase.
  void flush_batch();
  void send_statement(SlotBuffer& statement);
  // The staged form of `statement` when it goes by COPY (its rows are then in the stage), else
  // nullptr. Syncs the pipeline first (COPY is not allowed in it).
  const Statement* stage(const SlotBuffer& statement);
  void before_statement(const SlotBuffer& statement);
  void after_statement(SlotBuffer& statement);
  void on_outcomes(std::size_t slot, const std::vector<std::uint64_t>& records,
                   const PGresult* result);
  void sync();
  void send_outcome_recomputation();
  // What every apply transaction sends before its COMMIT: the outcomes it may have changed, and
  // its scratch rows gone.
  void send_transaction_end();
  // The origin's part of COMMIT: its progress, and when the session does not hold it
  // (hold_origin = false), taking it and positioning the transaction's letters.
  void send_commit_origin(const translate::SourcePosition& end);
  void give_back_origin();

  // Dead letters (letters.cpp).
  Record record_of(const translate::Change& change) const;
  std::uint64_t remember(Record record);
  Record& record_at(std::uint64_t index);
  void forget_records();
  void write_result_letters();
  void send_letters(const std::vector<const Record*>& records,
                    const std::vector<translate::DeadLetterReason>& reasons,
                    const std::vector<std::string>& details);
  void send_supersession(SlotBuffer& deletes);
  // The fallback when a letter cannot be written inside the batch (it timed out, or the batch's
  // transaction refused it): writes it in a transaction of its own on a separate connection,
  // with ten times statement_timeout (at least a minute); if the row itself cannot be stored,
  // the letter without it (the detail says why). Idempotent (letters are de-duplicated by
  // position). Throws DbError when even that fails.
  void write_letter_in_own_transaction(const Record& record, translate::DeadLetterReason reason,
                                       const std::string& detail);
  void retry_letters(translate::DeadLetterReason reason, const std::vector<std::string>& keys);
  void apply_letters(const PGresult* letters);
  void count_letter(const Record& record, translate::DeadLetterReason reason);

  ApplyOptions options_;
  ApplyStats& stats_;
  Connection conn_;
  bool replica_role_ = false;
  std::unique_ptr<pg::Pipeline> pipeline_;
  // Level 0 applies the stream; level n+1 the dead letters that an op of level n unblocked
  // (a link, a session), while level n's batch is half sent: each has its own translator
  // (the ops of the level above may still point into its buffers) and batch.
  std::deque<Level> levels_;
  std::size_t depth_ = 0;
  std::unique_ptr<BatchSink> sink_;

  // Changes kept for the dead letters their statements may still report, by global index.
  std::deque<Record> records_;
  std::uint64_t records_base_ = 0;
  std::vector<std::uint64_t> translating_;  // records of the changes being translated, nested
  // Rows sent whose results are not read yet that may become letters: their row keys (a delete
  // of such a row must see its letter) and their reasons.
  std::size_t letter_rows_in_flight_ = 0;
  std::unordered_set<std::uint64_t> letter_keys_in_flight_;
  bool unlinked_in_flight_ = false;
  bool unlinked_in_batch_ = false;  // an op that may become an unlinked_user letter is buffered
  bool orphans_in_flight_ = false;
  // Letters the results read so far asked for, written at the next opportunity, in order.
  struct ResultLetter {
    std::uint64_t record;
    translate::DeadLetterReason reason;
    std::string detail;  // empty: the reason's own
  };
  std::vector<ResultLetter> result_letters_;
  std::int64_t unresolved_unlinked_ = 0;
  std::int64_t unresolved_missing_parent_ = 0;
  // (run id, slug) of recommendation items whose outcome the open transaction may change;
  // an empty slug: every item of the run. Statements add their own in
  // dualwrite.apply_outcome_keys.
  std::set<std::pair<std::string, std::string>> outcome_keys_;
  bool outcome_keys_queued_ = false;
  // A link_delete statement of the open transaction wrote dualwrite.apply_deleted_links, which
  // must be empty again before COMMIT (migration 20261204000700).
  bool deleted_links_written_ = false;
  std::vector<std::int64_t> resolved_letters_;
  std::vector<std::int64_t> failed_retries_;
  std::optional<translate::SourcePosition> current_;   // the source transaction being applied
  std::optional<translate::SourcePosition> last_end_;  // the last ended in this target txn
  Lsn origin_progress_;
  std::optional<std::chrono::milliseconds> transaction_lock_timeout_;
  KeyObserver key_observer_;
  bool in_txn_ = false;
  bool careful_ = false;
  int refusals_logged_ = 0;  // in this careful pass: the first few are logged, all are counted
  std::uint64_t pending_changes_ = 0;
  std::uint64_t pending_bytes_ = 0;
  std::optional<std::string> first_error_;
};

// Formats PostgreSQL-epoch microseconds as a timestamptz literal ("2026-11-25 19:03:05.123456+00").
std::string format_pg_timestamp(std::int64_t micros_since_2000);

}  // namespace dualwrite::apply
