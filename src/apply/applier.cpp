// The applier's orchestration: source transactions in, batches built and sent, commits with the
// origin. Dead letters and their retries are in letters.cpp.
#include "dualwrite/apply/applier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <utility>

#include "applier_internal.hpp"
#include "dualwrite/apply/session_role.hpp"
#include "dualwrite/apply/statements.hpp"
#include "dualwrite/core/pg_time.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/pg/copy.hpp"

namespace dualwrite::apply {

namespace {

std::size_t table_index(LegacyTable t) {
  return static_cast<std::size_t>(t);
}

// Ops whose statement may turn them into a dead letter need the change kept until the results
// are read: those whose account the statement resolves (unlinked_user) or checks
// (missing_account: the foreign key's check, which the statement makes itself), and chat rows
// that may miss their session.
bool may_dead_letter(OpKind kind) {
  switch (kind) {
    case OpKind::profile_put:
    case OpKind::feedback_insert:
    case OpKind::feedback_update:
    case OpKind::suggestion_put:
    case OpKind::offline_put:
    case OpKind::session_put:
    case OpKind::message_put:
    case OpKind::summary_put:
      return true;
    default:
      return false;
  }
}

// The detail of the apply_error letter of a row whose account does not exist: what the foreign
// key's check would have said, had the statement not made it itself (feedback_insert.sql).
std::string missing_account_detail(OpKind kind) {
  return "account_id names no account: the foreign key of " +
         std::string(translate::info(kind).target_table) +
         " to accounts refuses the row (checked by the apply statement)";
}

// The statements that take each op's source transaction as a last parameter (see add_op).
bool takes_source_transaction(OpKind kind) {
  switch (kind) {
    case OpKind::link_delete:
    case OpKind::profile_put:
    case OpKind::profile_delete:
    case OpKind::feedback_insert:
    case OpKind::feedback_update:
    case OpKind::suggestion_put:
    case OpKind::offline_put:
    case OpKind::session_put:
      return true;
    default:
      return false;
  }
}

// What an op's arrival may unblock: the user a link links (its unlinked_user letters), the
// session a put creates (the missing_parent letters of its rows).
std::string_view unblocks_of(OpKind kind, std::span<const Param> params) {
  if (kind == OpKind::link_put) return params[2].text;
  if (kind == OpKind::session_put) return params[0].text;
  return {};
}

bool is_delete(std::size_t slot) {
  switch (static_cast<OpKind>(slot)) {
    case OpKind::link_delete:
    case OpKind::profile_delete:
    case OpKind::feedback_delete:
    case OpKind::suggestion_delete:
    case OpKind::offline_delete:
    case OpKind::session_delete:
    case OpKind::message_delete:
    case OpKind::summary_delete:
      return slot != kLetterSlot;
    default:
      return false;
  }
}

}  // namespace

std::string format_pg_timestamp(std::int64_t micros_since_2000) {
  const std::int64_t unix_micros = micros_since_2000 + kPgEpochUnixMicros;
  std::int64_t secs = unix_micros / 1'000'000;
  std::int64_t frac = unix_micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

// Translator output into the batch of the current level. `record` is the change being
// translated when it may become a dead letter (kNoRecord otherwise).
class Applier::BatchSink : public translate::OpSink {
 public:
  explicit BatchSink(Applier& applier) : a_(applier) {}
  void op(OpKind kind, std::span<const Param> params,
          std::span<const translate::OpKey> keys) override {
    a_.add_op(slot_of(kind), params, keys, may_dead_letter(kind) ? record : kNoRecord,
              unblocks_of(kind, params));
  }
  std::uint64_t record = kNoRecord;

 private:
  Applier& a_;
};

Applier::Applier(ApplyOptions options, ApplyStats& stats)
    : options_(std::move(options)), stats_(stats), sink_(std::make_unique<BatchSink>(*this)) {
  levels_.emplace_back(options_.batch);
}

Applier::~Applier() = default;

bool Applier::connected() const {
  return conn_.ok();
}

void Applier::reset_state() {
  for (auto& level : levels_) level.batch.clear();
  depth_ = 0;
  sink_->record = kNoRecord;
  records_.clear();
  records_base_ = 0;
  translating_.clear();
  letter_rows_in_flight_ = 0;
  letter_keys_in_flight_.clear();
  unlinked_in_flight_ = orphans_in_flight_ = unlinked_in_batch_ = false;
  result_letters_.clear();
  outcome_keys_.clear();
  outcome_keys_queued_ = false;
  deleted_links_written_ = false;
  resolved_letters_.clear();
  failed_retries_.clear();
  first_error_.reset();
  pending_changes_ = pending_bytes_ = 0;
  current_.reset();
  last_end_.reset();
  in_txn_ = false;
}

void Applier::connect() {
  reset_state();
  pipeline_.reset();
  // The old session goes first: it may hold the replication origin, which the new one takes.
  conn_ = Connection{};
  conn_ = Connection::open(options_.conninfo, options_.password);
  conn_.exec(session_setup_sql());
  set_session_timeouts(conn_, options_, options_.statement_timeout);
  replica_role_ = options_.replica_role && enter_replica_role(conn_);
  origin_progress_ = Lsn{};
  if (!options_.origin.empty() && !options_.hold_origin) {
    pg::create_origin_if_missing(conn_, options_.origin);
  } else if (!options_.origin.empty()) {
    const char* origin = options_.origin.c_str();
    bool found = false;
    pg::create_origin_if_missing(conn_, options_.origin);
    conn_.query("SELECT pg_replication_origin_session_setup($1)", {origin});
    const std::string progress =
        conn_.scalar("SELECT pg_replication_origin_progress($1, true)", {origin}, &found);
    origin_progress_ = found ? Lsn::parse(progress).value_or(Lsn{}) : Lsn{};
  }
  count_unresolved_letters();
  for (const Statement* s : all_statements()) {
    // Without COPY the stage is never read: a target not yet migrated to have it still works.
    if (s->staged && options_.copy_min_rows == 0) continue;
    ResultPtr r(PQprepare(conn_.get(), std::string(s->name).c_str(), std::string(s->sql).c_str(), 0,
                          nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      const auto e = conn_.error_of(r.get());
      throw DbError("preparing " + std::string(s->name) + ": " + e.what(), e.sqlstate(),
                    e.connection_lost());
    }
  }
  pipeline_ = std::make_unique<pg::Pipeline>(conn_);
  pipeline_->enter();
}

void Applier::begin(const SourcePosition& position) {
  if (!in_txn_) {
    pipeline_->send("BEGIN");
    if (transaction_lock_timeout_) {
      pipeline_->send("SET LOCAL lock_timeout = " +
                      std::to_string(transaction_lock_timeout_->count()));
    }
    in_txn_ = true;
  }
  current_ = position;
}

void Applier::apply(const Change& change) {
  stats_.changes[table_index(change.table)][static_cast<std::size_t>(change.op)].fetch_add(
      1, std::memory_order_relaxed);
  ++pending_changes_;
  if (!careful_) {
    translate_change(change, std::nullopt);
    return;
  }
  // Careful mode: the change alone, under its own savepoint; refused, it becomes a letter.
  pipeline_->send("SAVEPOINT dw_change");
  translate_change(change, std::nullopt);
  flush_batch();
  // Its results first, so that the letters they call for are written inside the savepoint
  // too: a letter that fails must leave a savepoint to roll back to.
  if (letter_rows_in_flight_ > 0) sync();
  if (!first_error_) {
    pipeline_->send("RELEASE SAVEPOINT dw_change");
    sync();
  }
  if (!first_error_) return;
  const std::string message = *std::exchange(first_error_, std::nullopt);
  log_refusal(message);
  pipeline_->send("ROLLBACK TO SAVEPOINT dw_change");
  sync();
  add_refusal(change, DeadLetterReason::apply_error, message);
  flush_batch();
  sync();
  if (!first_error_) return;
  // Not even its letter could be written here: undo that too and write the letter in a
  // transaction of its own, so that a change that can never be applied does not wedge the
  // bridge in an endless retry.
  const std::string letter_error = *std::exchange(first_error_, std::nullopt);
  pipeline_->send("ROLLBACK TO SAVEPOINT dw_change");
  sync();
  write_letter_in_own_transaction(record_of(change), DeadLetterReason::apply_error,
                                  message +
                                      " [its dead letter could not be written in the batch (" +
                                      letter_error + "): written in a transaction of its own]");
}

void Applier::log_refusal(const std::string& message) {
  // The line carries the change's context (the consumer's scope): which table, operation and
  // source transaction. A pass that refuses thousands logs the first few; the letters and
  // dualwrite_dead_letters_total have them all.
  constexpr int kLogged = 20;
  if (refusals_logged_ >= kLogged) return;
  spdlog::warn("target refused a change; kept as an apply_error dead letter: {}",
               pg::one_line(message));
  if (++refusals_logged_ == kLogged) {
    spdlog::warn("further refusals of this careful pass are not logged (see dead-letters list)");
  }
}

void Applier::translate_change(const Change& change, std::optional<std::int64_t> letter) {
  // The legacy row is rendered as JSON (the letter's content) only for changes whose statement
  // may turn them into a letter: chat rows (their session may be missing) and rows without an
  // account_id (their user may be unlinked), or in careful mode with one (it may name no
  // account). Rendering it for every change would cost the bulk path.
  bool eager = letter.has_value();
  switch (change.table) {
    case LegacyTable::chatbot_messages:
    case LegacyTable::conversation_context:
      eager = eager || change.op != Operation::delete_;
      break;
    case LegacyTable::user_attributes:
    case LegacyTable::activity_feedback:
    case LegacyTable::ai_suggestions:
    case LegacyTable::offline_likes:
    case LegacyTable::chatbot_conversations: {
      // account_id is the second column of user_attributes, the third of the others.
      const std::size_t account_col = change.table == LegacyTable::user_attributes ? 1 : 2;
      // In careful mode, every row: one that names its account may name one that does not
      // exist (the statement's check, 'missing_account'), which in fast mode is rare enough to
      // refuse the batch for (on_outcomes) and be found again here.
      eager = eager || (change.op != Operation::delete_ &&
                        (careful_ || !change.new_row[account_col].is_text()));
      break;
    }
    default:
      break;
  }
  // A change's ops can fill the batch, whose statements can retry letters, which translates
  // more changes (one level deeper): the record of this change stays alive meanwhile.
  const std::uint64_t outer = sink_->record;
  std::uint64_t record = kNoRecord;
  if (eager) {
    Record r = record_of(change);
    r.letter = letter;
    record = remember(std::move(r));
    translating_.push_back(record);
  }
  sink_->record = record;
  auto rejection = levels_[depth_].translator.translate(change, *sink_);
  sink_->record = outer;
  if (record != kNoRecord) translating_.pop_back();
  if (!rejection) return;
  if (letter) {
    failed_retries_.push_back(*letter);
  } else {
    add_refusal(change, rejection->reason, rejection->detail);
  }
}

void Applier::add_op(std::size_t slot, std::span<const Param> params,
                     std::span<const translate::OpKey> keys, std::uint64_t record,
                     std::string_view unblocks) {
  // Ops that delete a link or resolve a user's account carry their source transaction: a
  // deleted link is found by the rest of its own source transaction only (rule 4), even when
  // the target transaction holds many.
  // (A local: a full batch is sent from inside this call, which may translate retried letters
  // of other source transactions before this op is added again.)
  std::array<Param, 16> with_xid;
  const std::string xid = std::to_string(current_ ? current_->xid : 0);
  if (slot != kLetterSlot && takes_source_transaction(static_cast<OpKind>(slot))) {
    std::copy(params.begin(), params.end(), with_xid.begin());
    with_xid[params.size()] = Param::of(xid);
    params = std::span<const Param>(with_xid.data(), params.size() + 1);
  }
  // A link applies the dead letters of its user that wait for it (rule 3), and those can be
  // anything of that user (a session, then the messages waiting for it): when such letters may
  // exist, the link is ordered against everything.
  std::array<translate::OpKey, 8> with_barrier;
  if (slot == slot_of(OpKind::link_put) &&
      (unresolved_unlinked_ > 0 || unlinked_in_flight_ || unlinked_in_batch_)) {
    std::copy(keys.begin(), keys.end(), with_barrier.begin());
    with_barrier[keys.size()] = {translate::KeySpace::everything, translate::Access::write, {}};
    keys = std::span<const translate::OpKey>(with_barrier.data(), keys.size() + 1);
  }
  if (key_observer_ && slot != kLetterSlot) key_observer_(slot, keys);
  if (record != kNoRecord && slot != slot_of(OpKind::message_put) &&
      slot != slot_of(OpKind::summary_put)) {
    unlinked_in_batch_ = true;
  }
  Batch& batch = levels_[depth_].batch;
  if (!batch.add(slot, params, keys, record, unblocks)) {
    flush_batch();
    levels_[depth_].batch.add(slot, params, keys, record, unblocks);  // an empty batch takes it
  }
  std::size_t bytes = 0;
  for (const auto& p : params) bytes += p.text.size();
  pending_bytes_ += bytes;
  if (slot == kLetterSlot) return;
  stats_.rows_written[slot].fetch_add(1, std::memory_order_relaxed);
  // Recommendation items whose outcome this op may change (send_outcome_recomputation).
  const auto kind = static_cast<OpKind>(slot);
  if ((kind == OpKind::feedback_insert || kind == OpKind::feedback_update) && !params[6].is_null) {
    outcome_keys_.emplace(std::string(params[6].text), std::string(params[3].text));
  }
  if (kind == OpKind::suggestion_put && !params[9].is_null) {
    outcome_keys_.emplace(std::string(params[0].text), std::string());  // every item
  }
}

void Applier::truncate(LegacyTable table) {
  Change c;
  c.table = table;
  c.op = Operation::truncate;
  stats_.changes[table_index(table)][static_cast<std::size_t>(Operation::truncate)].fetch_add(1);
  ++pending_changes_;
  const auto rejection = levels_[depth_].translator.translate(c, *sink_).value();
  add_refusal(c, rejection.reason, rejection.detail);
  if (careful_) {
    flush_batch();
    sync();
  }
}

void Applier::dead_letter(const translate::Unmapped& change) {
  if (change.table) {
    stats_.changes[table_index(*change.table)][static_cast<std::size_t>(change.op)].fetch_add(1);
  }
  ++pending_changes_;
  Record r;
  r.table = change.table.value_or(LegacyTable::account_linkages);
  if (!change.table) r.unknown_relation = change.source_table;
  r.op = change.op;
  r.position = current_.value_or(SourcePosition{});
  r.old_key_json = change.old_key_json;
  r.new_row_json = change.new_row_json;
  // The row's key is not known under the names the stream carried after DDL: the letter is
  // ordered against everything (rare: a DDL incident), like an op whose effects cannot be named.
  const translate::OpKey barrier{translate::KeySpace::everything, translate::Access::write, {}};
  add_letter(r, DeadLetterReason::schema_mismatch, change.detail, {&barrier, 1});
}

void Applier::flush_batch() {
  Batch& batch = levels_[depth_].batch;
  for (std::size_t phase = 0; phase < batch.phase_count(); ++phase) {
    for (SlotBuffer* statement : batch.statements(phase)) {
      // In careful mode a failed statement leaves the transaction aborted until the change's
      // savepoint is rolled back: nothing more may be sent.
      if (first_error_) break;
      before_statement(*statement);
      send_statement(*statement);
      after_statement(*statement);
    }
  }
  batch.clear();
  if (depth_ == 0) unlinked_in_batch_ = false;  // those ops are in flight now
  // Bounded memory in a large transaction: the records the statements refer to are kept until
  // their results are read.
  if (depth_ == 0 && records_.size() > kMaxRecordsInFlight) sync();
}

void Applier::send_statement(SlotBuffer& statement) {
  const Statement* staged = stage(statement);
  if (first_error_) return;  // careful mode: the sync before the COPY found a refusal
  const auto values = staged != nullptr ? std::vector<const char*>{} : statement.finish();
  const Statement& s = staged != nullptr ? *staged : slot_statement(statement.slot);
  ++stats_.statements;
  if (statement.slot == kLetterSlot) {
    pipeline_->send_prepared(s.name, values, std::string(slot_name(statement.slot)));
    return;
  }
  const auto kind = static_cast<OpKind>(statement.slot);
  for (std::size_t i = 0; i < statement.rows; ++i) {
    if (statement.records[i] == kNoRecord) continue;
    ++letter_rows_in_flight_;
    letter_keys_in_flight_.insert(statement.row_keys[i]);
    if (kind == OpKind::message_put || kind == OpKind::summary_put) {
      orphans_in_flight_ = true;
    } else {
      unlinked_in_flight_ = true;
    }
  }
  if (kind == OpKind::feedback_delete || kind == OpKind::feedback_update) {
    outcome_keys_queued_ = true;  // the statement queues its items in apply_outcome_keys
  }
  if (kind == OpKind::link_delete) deleted_links_written_ = true;
  const bool generic =
      prefers_generic_plan(statement.slot) && statement.rows <= kGenericPlanMaxRows;
  if (generic) pipeline_->send("SET LOCAL plan_cache_mode = force_generic_plan", "plan choice");
  pipeline_->send_prepared(s.name, values, std::string(slot_name(statement.slot)),
                           [this, slot = statement.slot, records = statement.records](
                               const PGresult* r) { on_outcomes(slot, records, r); });
  if (generic) pipeline_->send("SET LOCAL plan_cache_mode TO DEFAULT", "plan choice");
}

const Statement* Applier::stage(const SlotBuffer& statement) {
  // Careful mode applies one change per statement: never this large.
  if (careful_ || options_.copy_min_rows == 0 || statement.rows < options_.copy_min_rows) {
    return nullptr;
  }
  const Statement* staged = staged_statement(statement.slot);
  if (staged == nullptr) return nullptr;
  // What was sent must be read before COPY: a sync can send the dead letters it found.
  while (pipeline_->unsynced() > 0) sync();  // throws ApplyRejected when something failed
  pipeline_->leave();
  {
    pg::CopyIn copy(conn_, stage_copy_sql(statement.columns),
                    "staging " + std::string(slot_name(statement.slot)));
    copy.put(pg::copy_binary::kHeader);
    copy.put(statement.tuples);
    copy.put(pg::copy_binary::kTrailer);
    copy.finish();
  }
  pipeline_->enter();
  ++stats_.staged_statements;
  return staged;
}

void Applier::before_statement(const SlotBuffer& statement) {
  if (!is_delete(statement.slot) || letter_rows_in_flight_ == 0) return;
  // A row inserted and dead-lettered earlier in this transaction, then deleted: its letter is
  // only known once the earlier statement's results are read, and must exist before the
  // delete supersedes the row's letters.
  for (auto key : statement.row_keys) {
    if (letter_keys_in_flight_.count(key) != 0) {
      sync();
      return;
    }
  }
}

void Applier::after_statement(SlotBuffer& statement) {
  if (first_error_) return;
  if (is_delete(statement.slot)) {
    if (stats_.unresolved_dead_letters.load() > 0 || !result_letters_.empty()) {
      send_supersession(statement);
    }
    return;
  }
  // Rule 3: the dead letters of users linked just now are applied right here, in their original
  // order, in this transaction; the same for chat rows that arrived before their session.
  const auto kind = static_cast<OpKind>(statement.slot);
  if (kind == OpKind::link_put && (unresolved_unlinked_ > 0 || unlinked_in_flight_)) {
    retry_letters(DeadLetterReason::unlinked_user, statement.unblocking);
  } else if (kind == OpKind::session_put &&
             (unresolved_missing_parent_ > 0 || orphans_in_flight_)) {
    retry_letters(DeadLetterReason::missing_parent, statement.unblocking);
  }
}

void Applier::on_outcomes(std::size_t slot, const std::vector<std::uint64_t>& records,
                          const PGresult* result) {
  const auto table = table_of(static_cast<OpKind>(slot));
  for (int i = 0; i < PQntuples(result); ++i) {
    if (PQgetisnull(result, i, 0)) continue;
    const auto ord = std::stoull(PQgetvalue(result, i, 0));
    const std::string_view outcome = PQgetvalue(result, i, 1);
    if (outcome == "merged") {
      stats_.merged[table_index(table)].fetch_add(1);
      continue;
    }
    if (outcome == "missing_account") {
      // the account check the statement makes in place of the foreign key's (feedback_insert.sql)
      if (ord > 0 && ord <= records.size() && records[ord - 1] != kNoRecord) {
        result_letters_.push_back({records[ord - 1], DeadLetterReason::apply_error,
                                   missing_account_detail(static_cast<OpKind>(slot))});
      } else if (!first_error_) {
        // a row that named its account, whose change fast mode did not keep: careful mode
        // keeps every one (translate_change)
        first_error_ = missing_account_detail(static_cast<OpKind>(slot));
      }
      continue;
    }
    const auto reason = translate::parse_dead_letter_reason(outcome);
    if (ord == 0 || ord > records.size() || records[ord - 1] == kNoRecord || !reason) {
      if (!first_error_) {
        first_error_ = std::string(slot_name(slot)) + " reported " + std::string(outcome) +
                       " for a change it was not given";
      }
      continue;
    }
    result_letters_.push_back({records[ord - 1], *reason, {}});
  }
}

void Applier::sync() {
  if (pipeline_->unsynced() == 0) return;
  auto error = pipeline_->sync();
  letter_rows_in_flight_ = 0;
  letter_keys_in_flight_.clear();
  unlinked_in_flight_ = orphans_in_flight_ = false;
  if (!error && first_error_) error = DbError(*first_error_, "", false);
  if (error) {
    result_letters_.clear();
    if (!careful_) {
      rollback();
      stats_.careful_retries.fetch_add(1);
      throw ApplyRejected(error->what(), current_context(), error->sqlstate());
    }
    // Careful mode: the caller rolls back to the change's savepoint.
    if (!first_error_) first_error_ = error->what();
    return;
  }
  write_result_letters();
  if (depth_ == 0 && levels_[0].batch.empty()) forget_records();
}

void Applier::send_outcome_recomputation() {
  // Item outcomes are a function of the interactions as the transaction leaves them, so they
  // are recomputed once per target transaction, for every (run, slug) it touched.
  if (outcome_keys_.empty() && !outcome_keys_queued_) return;
  std::string runs = "{", slugs = "{";
  for (const auto& [run, slug] : outcome_keys_) {
    if (runs.size() > 1) {
      runs += ',';
      slugs += ',';
    }
    pg::append_array_element(runs, run);
    if (slug.empty()) {
      slugs += "NULL";
    } else {
      pg::append_array_element(slugs, slug);
    }
  }
  runs += '}';
  slugs += '}';
  outcome_keys_.clear();
  outcome_keys_queued_ = false;
  const char* values[2] = {runs.c_str(), slugs.c_str()};
  pipeline_->send_prepared(statement::recompute_outcomes.name, values, "recommendation outcomes");
}

void Applier::send_transaction_end() {
  send_outcome_recomputation();
  if (deleted_links_written_) {
    pipeline_->send_prepared(statement::forget_deleted_links.name, {}, "deleted links forgotten");
    deleted_links_written_ = false;
  }
}

void Applier::end(const SourcePosition& position) {
  last_end_ = position;
  current_.reset();
  stats_.source_transactions.fetch_add(1, std::memory_order_relaxed);
}

Lsn Applier::commit() {
  if (!in_txn_) return origin_progress_;
  flush_batch();
  // Letters the results may still ask for must be queued before COMMIT: written after it they
  // would be outside the transaction that advances the origin, and lost if the process dies in
  // between. Without such rows in flight, everything goes out in one round trip.
  if (letter_rows_in_flight_ > 0) sync();
  send_transaction_end();
  if (last_end_ && !options_.origin.empty()) send_commit_origin(*last_end_);
  pipeline_->send("COMMIT");
  try {
    sync();
  } catch (...) {
    if (!options_.hold_origin) give_back_origin();
    throw;
  }
  if (!options_.hold_origin) give_back_origin();
  if (first_error_) {
    // Careful mode: an error outside any change's savepoint (the commit itself).
    const std::string message = *first_error_;
    rollback();
    throw ApplyRejected(message, current_context());
  }
  const Lsn applied = last_end_ ? last_end_->end_lsn : origin_progress_;
  reset_state();
  origin_progress_ = applied;
  stats_.target_transactions.fetch_add(1, std::memory_order_relaxed);
  return origin_progress_;
}

void Applier::send_commit_origin(const SourcePosition& end) {
  const std::string lsn = end.end_lsn.to_string();
  const std::string time = format_pg_timestamp(end.commit_time_micros);
  if (!options_.hold_origin) {
    // Taken for this commit only; and the letters written before the commit's position existed
    // get it now (sql/apply/live_letters_positioned.sql).
    const char* origin[1] = {options_.origin.c_str()};
    pipeline_->send_prepared(statement::take_origin.name, origin, "origin taken");
    const std::string xid = std::to_string(end.xid);
    const std::string commit_lsn = end.commit_lsn.to_string();
    const char* letters[3] = {xid.c_str(), commit_lsn.c_str(), time.c_str()};
    pipeline_->send_prepared(statement::live_letters_positioned.name, letters,
                             "letters positioned");
  }
  const char* values[2] = {lsn.c_str(), time.c_str()};
  pipeline_->send_prepared(statement::origin_xact_setup.name, values, "origin progress");
}

void Applier::give_back_origin() {
  // Best effort after a failure: a connection that is gone holds no origin any more.
  if (!pipeline_ || !conn_.ok()) return;
  pipeline_->send_prepared(statement::give_back_origin.name, {}, "origin given back");
  if (auto error = pipeline_->sync()) throw *error;
}

void Applier::release_origin() {
  if (options_.origin.empty()) return;
  give_back_origin();
}

void Applier::acquire_origin() {
  if (options_.origin.empty()) return;
  const char* origin[1] = {options_.origin.c_str()};
  Lsn progress = origin_progress_;
  pipeline_->send_prepared(statement::take_origin.name, origin, "origin taken",
                           [&progress](const PGresult* r) {
                             if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 1)) {
                               progress = Lsn::parse(PQgetvalue(r, 0, 1)).value_or(progress);
                             }
                           });
  if (auto error = pipeline_->sync()) throw *error;
  origin_progress_ = progress;
}

void Applier::set_transaction_lock_timeout(std::optional<std::chrono::milliseconds> timeout) {
  transaction_lock_timeout_ = timeout;
}

void Applier::flush() {
  if (!in_txn_) return;
  flush_batch();
  sync();
}

void Applier::savepoint(std::string_view name) {
  flush_batch();
  pipeline_->send("SAVEPOINT " + std::string(name));
}

void Applier::rollback_to_savepoint(std::string_view name) {
  flush_batch();
  sync();
  pipeline_->send("ROLLBACK TO SAVEPOINT " + std::string(name));
  sync();
}

void Applier::rollback() {
  const bool had_txn = in_txn_;
  reset_state();
  // Best effort: with the connection gone the server has rolled back already; a connection that
  // fails here is dropped, and connect() builds a new one.
  if (!pipeline_ || !conn_.ok()) return;
  bool ok = pipeline_->discard();
  if (ok && had_txn) {
    auto rolled_back = pg::attempt(ErrorDomain::target, [&] {
      pipeline_->send("ROLLBACK");
      return !pipeline_->sync().has_value();
    });
    ok = rolled_back && *rolled_back;
  }
  if (!ok) {
    pipeline_.reset();
    conn_ = Connection{};
  }
}

}  // namespace dualwrite::apply
