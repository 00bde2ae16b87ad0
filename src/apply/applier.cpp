#include "dualwrite/apply/applier.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <utility>

#include "dualwrite/apply/statements.hpp"
#include "dualwrite/sql/apply.hpp"
#include "dualwrite/translate/json_change.hpp"

namespace dualwrite::apply {

using translate::Change;
using translate::DeadLetterReason;
using translate::LegacyTable;
using translate::Operation;
using translate::OpKind;
using translate::Param;
using translate::SourcePosition;

namespace {

constexpr std::uint64_t kNoRecord = UINT64_MAX;

std::size_t table_index(LegacyTable t) {
  return static_cast<std::size_t>(t);
}

LegacyTable table_of_kind(OpKind kind) {
  switch (kind) {
    case OpKind::link_put:
    case OpKind::link_delete:
      return LegacyTable::account_linkages;
    case OpKind::account_metadata_put:
      return LegacyTable::account_metadata;
    case OpKind::profile_put:
    case OpKind::profile_delete:
      return LegacyTable::user_attributes;
    case OpKind::feedback_insert:
    case OpKind::feedback_update:
    case OpKind::feedback_delete:
      return LegacyTable::activity_feedback;
    case OpKind::suggestion_put:
    case OpKind::suggestion_delete:
      return LegacyTable::ai_suggestions;
    case OpKind::offline_put:
    case OpKind::offline_delete:
      return LegacyTable::offline_likes;
    case OpKind::session_put:
    case OpKind::session_delete:
      return LegacyTable::chatbot_conversations;
    case OpKind::message_put:
    case OpKind::message_delete:
      return LegacyTable::chatbot_messages;
    case OpKind::summary_put:
    case OpKind::summary_delete:
      return LegacyTable::conversation_context;
  }
  return LegacyTable::account_linkages;
}

// Ops whose statement may turn them into a dead letter need the change kept until the results
// are read: those resolving an account they do not carry (parameter 3, index 2 — or 2 for
// user_attributes), and chat rows that may miss their parent.
bool may_dead_letter(OpKind kind, std::span<const Param> params) {
  switch (kind) {
    case OpKind::profile_put:
      return params[1].is_null;
    case OpKind::feedback_insert:
    case OpKind::feedback_update:
    case OpKind::suggestion_put:
    case OpKind::offline_put:
    case OpKind::session_put:
      return params[2].is_null;
    case OpKind::message_put:
    case OpKind::summary_put:
      return true;
    default:
      return false;
  }
}

// sql/apply/session_timeouts.sql with the given statement_timeout and the options' others.
void set_session_timeouts(Connection& conn, const ApplyOptions& options,
                          std::chrono::milliseconds statement_timeout) {
  const std::string statement = std::to_string(statement_timeout.count());
  const std::string lock = std::to_string(options.lock_timeout.count());
  const std::string idle = std::to_string(options.idle_in_transaction_session_timeout.count());
  conn.query(sql::apply::session_timeouts, {statement.c_str(), lock.c_str(), idle.c_str()});
}

}  // namespace

std::string format_pg_timestamp(std::int64_t micros_since_2000) {
  constexpr std::int64_t kEpochShift = 946'684'800LL * 1'000'000;
  const std::int64_t unix_micros = micros_since_2000 + kEpochShift;
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

// What a dead letter needs to know of a change, kept until its statement's results are read.
struct Applier::Record {
  LegacyTable table = LegacyTable::account_linkages;
  std::string unknown_relation;  // set: the letter's source_table (not a legacy table)
  Operation op = Operation::insert;
  SourcePosition position;
  std::string old_key_json;
  std::string new_row_json;
  std::optional<std::int64_t> letter;  // a dead letter being retried
};

// A statement sent and not yet synced. `rows[i]` is the record of the op at ord i+1.
struct Applier::Pending {
  std::optional<OpKind> kind;
  std::vector<std::uint64_t> rows;
  std::string what;  // for error messages
  bool capture = false;
  bool supersedes = false;  // rows (reason, count) of letters resolved by a later DELETE
  ResultPtr captured;
};

// Accumulates consecutive ops of one kind as parallel array literals (one statement).
class Applier::RunBuilder : public translate::OpSink {
 public:
  explicit RunBuilder(Applier& applier) : a_(applier) {}

  void op(OpKind kind, std::span<const Param> params, std::string_view run_key) override {
    const std::uint64_t key = std::hash<std::string_view>{}(run_key);
    if (kind_ && (*kind_ != kind || keys_.count(key) != 0 ||
                  rows_.size() >= a_.options_.max_statement_rows ||
                  bytes_ >= a_.options_.max_statement_bytes)) {
      a_.flush_run();
    }
    if (!kind_) {
      kind_ = kind;
      arrays_.assign(params.size(), std::string("{"));
    }
    keys_.insert(key);
    for (std::size_t i = 0; i < params.size(); ++i) {
      std::string& literal = arrays_[i];
      if (literal.size() > 1) literal += ',';
      if (params[i].is_null) {
        literal += "NULL";
      } else {
        append_array_element(literal, params[i].text);
        bytes_ += params[i].text.size();
      }
    }
    std::uint64_t record = kNoRecord;
    if (current_record_ != kNoRecord && may_dead_letter(kind, params)) record = current_record_;
    rows_.push_back(record);
    // Recommendation items whose outcome this op may change (see Applier::flush_run).
    if ((kind == OpKind::feedback_insert || kind == OpKind::feedback_update) &&
        !params[6].is_null) {
      a_.outcome_keys_.emplace(std::string(params[6].text), std::string(params[3].text));
    }
    if (kind == OpKind::suggestion_put && !params[9].is_null) {
      a_.outcome_keys_.emplace(std::string(params[0].text), std::string());  // every item
    }
    if (kind == OpKind::feedback_insert &&
        (params[4].text == "like" || params[4].text == "bookmark")) {
      has_unique_rows_ = true;
    }
    // The keys whose arrival may unblock dead letters (see Applier::flush_run).
    if (kind == OpKind::link_put) unblocking_keys_.emplace_back(params[2].text);
    if (kind == OpKind::session_put) unblocking_keys_.emplace_back(params[0].text);
    a_.pending_bytes_ += bytes_ - counted_bytes_;
    counted_bytes_ = bytes_;
    a_.stats_.rows_written[static_cast<std::size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  }

  bool empty() const { return !kind_; }
  // The oldest record the current run still refers to (kNoRecord when none).
  std::uint64_t first_record() const {
    for (auto r : rows_) {
      if (r != kNoRecord) return r;
    }
    return kNoRecord;
  }

  std::optional<OpKind> kind_;
  std::vector<std::string> arrays_;
  std::vector<std::uint64_t> rows_;
  std::unordered_set<std::uint64_t> keys_;
  std::vector<std::string> unblocking_keys_;
  bool has_unique_rows_ = false;  // a like or bookmark, which may need the merge statement
  std::size_t bytes_ = 0;
  std::size_t counted_bytes_ = 0;
  std::uint64_t current_record_ = kNoRecord;

  void reset() {
    kind_.reset();
    arrays_.clear();
    rows_.clear();
    keys_.clear();
    unblocking_keys_.clear();
    has_unique_rows_ = false;
    bytes_ = counted_bytes_ = 0;
  }

 private:
  Applier& a_;
};

Applier::Applier(ApplyOptions options, ApplyStats& stats)
    : options_(std::move(options)), stats_(stats), builder_(std::make_unique<RunBuilder>(*this)) {}

Applier::~Applier() = default;

bool Applier::connected() const {
  return conn_.ok();
}

void Applier::connect() {
  builder_->reset();
  pending_.clear();
  records_.clear();
  records_base_ = 0;
  in_txn_ = false;
  first_error_.reset();
  unsynced_statements_ = 0;
  pending_changes_ = pending_bytes_ = 0;
  current_.reset();
  last_end_.reset();

  conn_ = Connection::open(options_.conninfo, options_.password);
  conn_.exec(session_setup_sql());
  set_session_timeouts(conn_, options_, options_.statement_timeout);
  bool found = false;
  origin_progress_ = Lsn{};
  if (!options_.origin.empty()) {
    const char* origin = options_.origin.c_str();
    conn_.scalar("SELECT pg_replication_origin_oid($1)", {origin}, &found);
    if (!found) conn_.query("SELECT pg_replication_origin_create($1)", {origin});
    conn_.query("SELECT pg_replication_origin_session_setup($1)", {origin});
    const std::string progress =
        conn_.scalar("SELECT pg_replication_origin_progress($1, true)", {origin}, &found);
    origin_progress_ = found ? Lsn::parse(progress).value_or(Lsn{}) : Lsn{};
  }
  stats_.unresolved_dead_letters.store(std::stoll(
      conn_.scalar("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL")));
  unresolved_unlinked_ =
      std::stoll(conn_.scalar("SELECT count(*) FROM dualwrite.dead_letters "
                              "WHERE reason = 'unlinked_user' AND resolved_at IS NULL"));
  unresolved_missing_parent_ =
      std::stoll(conn_.scalar("SELECT count(*) FROM dualwrite.dead_letters "
                              "WHERE reason = 'missing_parent' AND resolved_at IS NULL"));

  auto prepare = [&](std::string_view name, std::string_view sql) {
    ResultPtr r(
        PQprepare(conn_.get(), std::string(name).c_str(), std::string(sql).c_str(), 0, nullptr));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      const auto e = conn_.error_of(r.get());
      throw DbError("preparing " + std::string(name) + ": " + e.what(), e.sqlstate(),
                    e.connection_lost());
    }
  };
  for (std::size_t k = 0; k < translate::kOpKindCount; ++k) {
    const auto kind = static_cast<OpKind>(k);
    prepare(statement_name(kind), statement_sql(kind));
  }
  prepare(kInsertDeadLetter, insert_dead_letter_sql());
  prepare(kUnlinkedLettersOfUsers, unlinked_letters_of_users_sql());
  prepare(kOrphanLettersOfSessions, orphan_letters_of_sessions_sql());
  prepare(kRecomputeOutcomes, recompute_outcomes_sql());
  prepare(kSupersedeLetters, supersede_letters_sql());
  prepare(kFeedbackMerge, feedback_merge_sql());
  prepare(kResolveDeadLetters, resolve_dead_letters_sql());
  prepare("dw_retry_failed",
          "UPDATE dualwrite.dead_letters SET attempts = attempts + 1 "
          "WHERE id = ANY($1::text[]::bigint[])");
  prepare("dw_origin_xact_setup",
          "SELECT pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz)");
  if (PQenterPipelineMode(conn_.get()) != 1) {
    throw DbError("cannot enter pipeline mode: " + std::string(PQerrorMessage(conn_.get())), "",
                  true);
  }
}

void Applier::send_control(const char* sql) {
  if (PQsendQueryParams(conn_.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) {
    throw DbError(std::string("cannot send ") + sql + ": " + PQerrorMessage(conn_.get()), "", true);
  }
  Pending p;
  p.what = sql;
  pending_.push_back(std::move(p));
}

void Applier::begin(const SourcePosition& position) {
  if (!in_txn_) {
    send_control("BEGIN");
    in_txn_ = true;
  }
  current_ = position;
}

Applier::Record Applier::record_of(const Change& change, bool with_rows) const {
  Record r;
  r.table = change.table;
  r.op = change.op;
  r.position = current_.value_or(SourcePosition{});
  if (with_rows) {
    if (change.has_old_key) r.old_key_json = translate::row_to_json(change.table, change.old_key);
    if (change.op == Operation::insert || change.op == Operation::update) {
      r.new_row_json = translate::row_to_json(change.table, change.new_row);
    }
  }
  return r;
}

std::uint64_t Applier::remember(const Change& change, bool eager) {
  records_.push_back(record_of(change, eager));
  return records_base_ + records_.size() - 1;
}

Applier::Record& Applier::record_at(std::uint64_t index) {
  return records_[index - records_base_];
}

void Applier::apply(const Change& change) {
  stats_.changes[table_index(change.table)][static_cast<std::size_t>(change.op)].fetch_add(
      1, std::memory_order_relaxed);
  ++pending_changes_;
  if (careful_) {
    send_control("SAVEPOINT dw_change");
    apply_translated(change, std::nullopt);
    flush_run();
    // Its results first, so that the letters they call for are written inside the savepoint
    // too: a letter that fails must leave a savepoint to roll back to.
    sync();
    if (!first_error_) {
      send_control("RELEASE SAVEPOINT dw_change");
      sync();
    }
    if (first_error_) {
      const std::string message = *first_error_;
      first_error_.reset();
      send_control("ROLLBACK TO SAVEPOINT dw_change");
      sync();
      const Record record = record_of(change, true);
      write_dead_letter(record, DeadLetterReason::apply_error, message);
      sync();
      if (first_error_) {
        // Not even its letter could be written here: undo that too and write the letter in a
        // transaction of its own, so that a change that can never be applied does not wedge
        // the bridge in an endless retry.
        const std::string letter_error = *first_error_;
        first_error_.reset();
        send_control("ROLLBACK TO SAVEPOINT dw_change");
        sync();
        write_dead_letter_in_own_transaction(
            record, DeadLetterReason::apply_error,
            message + " [its dead letter could not be written in the batch (" + letter_error +
                "): written in a transaction of its own]");
      }
    }
    return;
  }
  apply_translated(change, std::nullopt);
}

void Applier::apply_translated(const Change& change, std::optional<std::int64_t> letter) {
  // Records are cheap unless eager: the JSON of the legacy row is rendered only for changes
  // whose statement may dead-letter them (see may_dead_letter), decided per op by the builder;
  // rendering it for all would cost the bulk path. We render eagerly when the change's account
  // is missing or it is a chat row, which is exactly when may_dead_letter can be true.
  bool eager = false;
  switch (change.table) {
    case LegacyTable::chatbot_messages:
    case LegacyTable::conversation_context:
      eager = true;
      break;
    case LegacyTable::user_attributes:
    case LegacyTable::activity_feedback:
    case LegacyTable::ai_suggestions:
    case LegacyTable::offline_likes:
    case LegacyTable::chatbot_conversations: {
      // account_id is the second column of user_attributes, the third of the others.
      const std::size_t account_col = change.table == LegacyTable::user_attributes ? 1 : 2;
      eager = change.op != Operation::delete_ && !change.new_row[account_col].is_text();
      break;
    }
    default:
      break;
  }
  // A change's ops can flush the current run, which can retry unlinked letters, which
  // translates more changes: keep the outer change's record alive and restore it afterwards.
  const std::uint64_t outer_record = builder_->current_record_;
  if (outer_record != kNoRecord) outer_records_.push_back(outer_record);
  builder_->current_record_ = eager ? remember(change, true) : kNoRecord;
  if (eager && letter) record_at(builder_->current_record_).letter = letter;
  // Each level of nested retries has its own translator: the ops of the level above may still
  // point into its translator's buffers (a retried session brings its messages, say).
  if (letter && retry_translators_.size() < retry_depth_) retry_translators_.resize(retry_depth_);
  auto& translator = letter ? retry_translators_[retry_depth_ - 1] : translator_;
  if (auto rejection = translator.translate(change, *builder_)) {
    builder_->current_record_ = kNoRecord;
    if (letter) {
      failed_retries_.push_back(*letter);
    } else {
      reject_change(change, *rejection);
    }
  }
  builder_->current_record_ = outer_record;
  if (outer_record != kNoRecord) outer_records_.pop_back();
}

void Applier::reject_change(const Change& change, const translate::Rejection& rejection) {
  // The dead letter must follow the ops sent before it, so the current run goes first.
  flush_run();
  write_dead_letter(record_of(change, true), rejection.reason, rejection.detail);
}

void Applier::truncate(LegacyTable table) {
  Change c;
  c.table = table;
  c.op = Operation::truncate;
  stats_.changes[table_index(table)][static_cast<std::size_t>(Operation::truncate)].fetch_add(1);
  ++pending_changes_;
  reject_change(c, translator_.translate(c, *builder_).value());
}

void Applier::dead_letter(const translate::Unmapped& change) {
  if (change.table) {
    stats_.changes[table_index(*change.table)][static_cast<std::size_t>(change.op)].fetch_add(1);
  }
  ++pending_changes_;
  pending_bytes_ += change.old_key_json.size() + change.new_row_json.size();
  Record r;
  r.table = change.table.value_or(LegacyTable::account_linkages);
  if (!change.table) r.unknown_relation = change.source_table;
  r.op = change.op;
  r.position = current_.value_or(SourcePosition{});
  r.old_key_json = change.old_key_json;
  r.new_row_json = change.new_row_json;
  flush_run();  // the letter follows the ops sent before it
  write_dead_letter(r, DeadLetterReason::schema_mismatch, change.detail);
}

void Applier::write_dead_letter(const Record& record, DeadLetterReason reason,
                                const std::string& detail) {
  const std::string table = record.unknown_relation.empty()
                                ? std::string(translate::name_of(record.table))
                                : record.unknown_relation;
  const std::string op(translate::name_of(record.op));
  const std::string lsn = record.position.commit_lsn.to_string();
  const std::string xid = std::to_string(record.position.xid);
  const std::string time = format_pg_timestamp(record.position.commit_time_micros);
  const std::string why(translate::name_of(reason));
  const char* values[9] = {table.c_str(),
                           op.c_str(),
                           record.old_key_json.empty() ? nullptr : record.old_key_json.c_str(),
                           record.new_row_json.empty() ? nullptr : record.new_row_json.c_str(),
                           record.position.commit_lsn.is_valid() ? lsn.c_str() : nullptr,
                           record.position.commit_lsn.is_valid() ? xid.c_str() : nullptr,
                           record.position.commit_lsn.is_valid() ? time.c_str() : nullptr,
                           why.c_str(),
                           detail.c_str()};
  if (PQsendQueryPrepared(conn_.get(), std::string(kInsertDeadLetter).c_str(), 9, values, nullptr,
                          nullptr, 0) != 1) {
    throw DbError("cannot send a dead letter: " + std::string(PQerrorMessage(conn_.get())), "",
                  true);
  }
  Pending p;
  p.what = "dead letter";
  pending_.push_back(std::move(p));
  ++unsynced_statements_;
  const std::size_t stats_table =
      record.unknown_relation.empty() ? table_index(record.table) : ApplyStats::kUnknownRelation;
  stats_.dead_letters[stats_table][static_cast<std::size_t>(reason)].fetch_add(1);
  stats_.unresolved_dead_letters.fetch_add(1);
  if (reason == DeadLetterReason::unlinked_user) ++unresolved_unlinked_;
  if (reason == DeadLetterReason::missing_parent) ++unresolved_missing_parent_;
}

void Applier::write_dead_letter_in_own_transaction(const Record& record, DeadLetterReason reason,
                                                   const std::string& detail) {
  Connection side = Connection::open(options_.conninfo, options_.password);
  const auto timeout =
      std::max<std::chrono::milliseconds>(options_.statement_timeout * 10, std::chrono::minutes(1));
  set_session_timeouts(side, options_, timeout);
  const std::string table(translate::name_of(record.table));
  const std::string op(translate::name_of(record.op));
  const bool positioned = record.position.commit_lsn.is_valid();
  const std::string lsn = record.position.commit_lsn.to_string();
  const std::string xid = std::to_string(record.position.xid);
  const std::string time = format_pg_timestamp(record.position.commit_time_micros);
  const std::string why(translate::name_of(reason));
  auto insert = [&](const std::string& old_key, const std::string& new_row,
                    const std::string& text) {
    side.query(insert_dead_letter_sql(),
               {table.c_str(), op.c_str(), old_key.empty() ? nullptr : old_key.c_str(),
                new_row.empty() ? nullptr : new_row.c_str(), positioned ? lsn.c_str() : nullptr,
                positioned ? xid.c_str() : nullptr, positioned ? time.c_str() : nullptr,
                why.c_str(), text.c_str()});
  };
  try {
    insert(record.old_key_json, record.new_row_json, detail);
  } catch (const DbError& e) {
    if (e.connection_lost()) throw;
    // The row itself is what the target refuses (or what takes too long to store): keep the
    // letter, without the row, and say why.
    insert(record.old_key_json, "",
           detail + " [the row could not be stored with the letter: " + e.what() + "]");
  }
}

void Applier::flush_run() {
  if (builder_->empty()) return;
  const OpKind kind = *builder_->kind_;
  std::vector<const char*> values;
  values.reserve(builder_->arrays_.size());
  for (auto& literal : builder_->arrays_) {
    literal += '}';
    values.push_back(literal.c_str());
  }
  if (PQsendQueryPrepared(conn_.get(), std::string(statement_name(kind)).c_str(),
                          static_cast<int>(values.size()), values.data(), nullptr, nullptr,
                          0) != 1) {
    throw DbError("cannot send " + std::string(translate::info(kind).name) + ": " +
                      PQerrorMessage(conn_.get()),
                  "", true);
  }
  Pending p;
  p.kind = kind;
  p.rows = std::move(builder_->rows_);
  p.what = std::string(translate::info(kind).name);
  if (kind == OpKind::feedback_insert && builder_->has_unique_rows_) {
    // Its likes/bookmarks that did not go straight in are merged by a second statement over
    // the same parameters (statements.cpp, kFeedbackMergeTail); a run without any skips it.
    Pending merge;
    merge.kind = kind;
    merge.rows = p.rows;
    merge.what = "feedback merge";
    pending_.push_back(std::move(p));
    if (PQsendQueryPrepared(conn_.get(), std::string(kFeedbackMerge).c_str(),
                            static_cast<int>(values.size()), values.data(), nullptr, nullptr,
                            0) != 1) {
      throw DbError("cannot send feedback merge: " + std::string(PQerrorMessage(conn_.get())), "",
                    true);
    }
    pending_.push_back(std::move(merge));
    ++unsynced_statements_;
  } else {
    pending_.push_back(std::move(p));
  }
  std::vector<std::string> keys = std::move(builder_->unblocking_keys_);
  const bool is_delete = kind == OpKind::link_delete || kind == OpKind::profile_delete ||
                         kind == OpKind::feedback_delete || kind == OpKind::suggestion_delete ||
                         kind == OpKind::offline_delete || kind == OpKind::session_delete ||
                         kind == OpKind::message_delete || kind == OpKind::summary_delete;
  if (is_delete) {
    // The letters of this transaction's earlier changes are only known once their results are
    // read: a row inserted (and dead-lettered) and deleted in one batch must have its letter
    // written before the supersession below looks for it.
    sync();
  }
  if (is_delete && !first_error_ && stats_.unresolved_dead_letters.load() > 0) {
    // A deleted row's unresolved letters are moot: retrying them later (when their user is
    // linked, say) would bring the row back. The delete's single parameter is its key list.
    const std::string table(translate::name_of(table_of_kind(kind)));
    const char* v[2] = {table.c_str(), values[0]};
    if (PQsendQueryPrepared(conn_.get(), std::string(kSupersedeLetters).c_str(), 2, v, nullptr,
                            nullptr, 0) != 1) {
      throw DbError("cannot send letter supersession: " + std::string(PQerrorMessage(conn_.get())),
                    "", true);
    }
    Pending superseding;
    superseding.what = "superseded dead letters";
    superseding.supersedes = true;
    pending_.push_back(std::move(superseding));
    ++unsynced_statements_;
  }
  builder_->reset();
  ++unsynced_statements_;
  // Letters a link or a session may unblock: those already written, and those the statements
  // still in flight may write (a change of the same batch that came before the link). The
  // results are read first, so that those letters exist before they are looked for.
  const bool unblocks = kind == OpKind::link_put || kind == OpKind::session_put;
  if (unblocks && letters_may_be_in_flight()) sync();
  if (kind == OpKind::link_put && unresolved_unlinked_ > 0) {
    // Rule 3: the dead letters of users linked just now are applied right here, in their
    // original order, in this transaction.
    sync();
    // (In careful mode a failed statement leaves the transaction aborted until the change's
    // savepoint is rolled back: nothing more may be sent, and the change is dead-lettered.)
    if (!first_error_) retry_letters(DeadLetterReason::unlinked_user, keys);
  } else if (kind == OpKind::session_put && unresolved_missing_parent_ > 0) {
    // The same for chat rows that arrived before their session (e.g. a session applied late
    // from an unlinked_user letter): once it exists, they are applied, in their order.
    sync();
    if (!first_error_) retry_letters(DeadLetterReason::missing_parent, keys);
  } else if (unsynced_statements_ >= options_.sync_every_statements) {
    sync();
  }
}

bool Applier::letters_may_be_in_flight() const {
  for (const auto& p : pending_) {
    for (auto record : p.rows) {
      if (record != kNoRecord) return true;
    }
  }
  return false;
}

void Applier::sync() {
  if (pending_.empty()) return;
  if (PQpipelineSync(conn_.get()) != 1) {
    throw DbError("cannot sync the pipeline: " + std::string(PQerrorMessage(conn_.get())), "",
                  true);
  }
  std::vector<std::pair<std::uint64_t, std::string>> letters;  // (record, reason)
  for (auto& p : pending_) {
    while (PGresult* raw = PQgetResult(conn_.get())) {
      ResultPtr r(raw);
      const auto st = PQresultStatus(raw);
      if (st == PGRES_TUPLES_OK && p.capture) {
        p.captured = std::move(r);
      } else if (st == PGRES_TUPLES_OK && p.supersedes) {
        for (int i = 0; i < PQntuples(raw); ++i) {
          const std::string_view reason = PQgetvalue(raw, i, 0);
          const auto n = std::stoll(PQgetvalue(raw, i, 1));
          if (reason == "unlinked_user") unresolved_unlinked_ -= n;
          if (reason == "missing_parent") unresolved_missing_parent_ -= n;
          stats_.unresolved_dead_letters.fetch_sub(n);
        }
      } else if (st == PGRES_TUPLES_OK && p.kind) {
        for (int i = 0; i < PQntuples(raw); ++i) {
          if (PQgetisnull(raw, i, 0)) continue;
          const auto ord = std::stoull(PQgetvalue(raw, i, 0));
          const std::string outcome = PQgetvalue(raw, i, 1);
          if (outcome == "merged") {
            stats_.merged[table_index(table_of_kind(*p.kind))].fetch_add(1);
            continue;
          }
          if (ord == 0 || ord > p.rows.size() || p.rows[ord - 1] == kNoRecord) {
            if (!first_error_) {
              first_error_ = p.what + " reported " + outcome + " for a change it was not given";
            }
            continue;
          }
          letters.emplace_back(p.rows[ord - 1], outcome);
        }
      } else if (st == PGRES_FATAL_ERROR) {
        if (!first_error_) first_error_ = p.what + ": " + conn_.error_of(raw).what();
        if (PQstatus(conn_.get()) != CONNECTION_OK) throw conn_.error_of(raw);
      }
    }
  }
  ResultPtr sync_result(PQgetResult(conn_.get()));
  if (!sync_result || PQresultStatus(sync_result.get()) != PGRES_PIPELINE_SYNC) {
    throw DbError("target pipeline out of step: " + std::string(PQerrorMessage(conn_.get())), "",
                  PQstatus(conn_.get()) != CONNECTION_OK);
  }
  std::deque<Pending> done;
  done.swap(pending_);
  unsynced_statements_ = 0;

  if (first_error_ && !careful_) {
    const std::string message = *first_error_;
    rollback();
    stats_.careful_retries.fetch_add(1);
    throw ApplyRejected(message);
  }
  if (!first_error_) {
    // Records are numbered in stream order: letters are written in it.
    std::stable_sort(letters.begin(), letters.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [record, outcome] : letters) {
      Record& r = record_at(record);
      if (r.letter) {
        failed_retries_.push_back(*r.letter);
        continue;
      }
      const auto reason = translate::parse_dead_letter_reason(outcome);
      write_dead_letter(r, reason.value_or(DeadLetterReason::apply_error),
                        outcome == "unlinked_user"
                            ? "no account: the row has no account_id and its user is not linked"
                        : outcome == "missing_parent"
                            ? "the chat session of this row does not exist on the target"
                            : outcome);
    }
    for (const auto& p : done) {
      if (!p.kind) continue;
      for (auto record : p.rows) {
        if (record == kNoRecord) continue;
        const Record& r = record_at(record);
        if (r.letter && std::find(failed_retries_.begin(), failed_retries_.end(), *r.letter) ==
                            failed_retries_.end()) {
          resolved_letters_.push_back(*r.letter);
        }
      }
    }
  }
  // Records older than what the current run, or the change being translated right now (its
  // next op may not have reached the builder yet), refers to are no longer needed.
  std::uint64_t keep_from = std::min(builder_->first_record(), builder_->current_record_);
  for (auto r : outer_records_) keep_from = std::min(keep_from, r);
  const std::uint64_t end = records_base_ + records_.size();
  const std::uint64_t drop_to = keep_from == kNoRecord ? end : keep_from;
  while (records_base_ < drop_to && !records_.empty()) {
    records_.pop_front();
    ++records_base_;
  }
  if (!pending_.empty()) sync();  // dead letters just queued
}

void Applier::retry_letters(DeadLetterReason reason, const std::vector<std::string>& keys) {
  std::string literal = "{";
  for (const auto& k : keys) {
    if (literal.size() > 1) literal += ',';
    append_array_element(literal, k);
  }
  literal += '}';
  const char* values[1] = {literal.c_str()};
  const std::string statement(reason == DeadLetterReason::unlinked_user ? kUnlinkedLettersOfUsers
                                                                        : kOrphanLettersOfSessions);
  if (PQsendQueryPrepared(conn_.get(), statement.c_str(), 1, values, nullptr, nullptr, 0) != 1) {
    throw DbError("cannot query dead letters: " + std::string(PQerrorMessage(conn_.get())), "",
                  true);
  }
  Pending p;
  p.capture = true;
  p.what = "dead letters to retry";
  pending_.push_back(std::move(p));
  auto* query = &pending_.back();
  (void)query;
  // sync() moves pending_ away; keep the captured result by reading it back first.
  ResultPtr letters;
  {
    if (PQpipelineSync(conn_.get()) != 1) {
      throw DbError("cannot sync the pipeline", "", true);
    }
    while (PGresult* raw = PQgetResult(conn_.get())) {
      if (PQresultStatus(raw) == PGRES_TUPLES_OK) {
        letters.reset(raw);
      } else {
        if (PQresultStatus(raw) == PGRES_FATAL_ERROR) {
          const auto err = conn_.error_of(raw);
          PQclear(raw);
          throw err;
        }
        PQclear(raw);
      }
    }
    ResultPtr sync_result(PQgetResult(conn_.get()));
    if (!sync_result || PQresultStatus(sync_result.get()) != PGRES_PIPELINE_SYNC) {
      throw DbError("target pipeline out of step", "", PQstatus(conn_.get()) != CONNECTION_OK);
    }
    pending_.clear();
    unsynced_statements_ = 0;
  }
  if (!letters || PQntuples(letters.get()) == 0) return;
  // Retries nest (a retried session retries its messages): each level keeps its own lists of
  // resolved and failed letters, so that each is counted once and against its own reason.
  auto outer_resolved = std::exchange(resolved_letters_, {});
  auto outer_failed = std::exchange(failed_retries_, {});
  const auto saved_current = current_;
  apply_letters(letters.get());
  current_ = saved_current;
  flush_run();
  sync();
  std::vector<std::int64_t> resolved = std::exchange(resolved_letters_, std::move(outer_resolved));
  std::vector<std::int64_t> failed = std::exchange(failed_retries_, std::move(outer_failed));
  // A letter's op can appear in two statements (a feedback insert and its merge): count it once.
  for (auto* ids : {&resolved, &failed}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  std::erase_if(resolved, [&](std::int64_t id) {
    return std::binary_search(failed.begin(), failed.end(), id);
  });
  auto send_ids = [&](const char* name, const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    std::string id_list = "{";
    for (auto id : ids) {
      if (id_list.size() > 1) id_list += ',';
      id_list += std::to_string(id);
    }
    id_list += '}';
    const char* v[1] = {id_list.c_str()};
    if (PQsendQueryPrepared(conn_.get(), name, 1, v, nullptr, nullptr, 0) != 1) {
      throw DbError("cannot update dead letters", "", true);
    }
    Pending pr;
    pr.what = name;
    pending_.push_back(std::move(pr));
  };
  send_ids(std::string(kResolveDeadLetters).c_str(), resolved);
  send_ids("dw_retry_failed", failed);
  sync();
  (reason == DeadLetterReason::unlinked_user ? unresolved_unlinked_ : unresolved_missing_parent_) -=
      static_cast<std::int64_t>(resolved.size());
  stats_.unresolved_dead_letters.fetch_sub(static_cast<std::int64_t>(resolved.size()));
}

void Applier::apply_letters(const PGresult* letters) {
  ++retry_depth_;
  struct DepthGuard {
    std::size_t& depth;
    ~DepthGuard() { --depth; }
  } guard{retry_depth_};
  // Columns: id, source_table, operation, old_key, new_row, lsn, xid (commit_time unused).
  for (int i = 0; i < PQntuples(letters); ++i) {
    const std::int64_t id = std::stoll(PQgetvalue(letters, i, 0));
    const std::string_view op_name = PQgetvalue(letters, i, 2);
    auto text_or_null = [&](int column) {
      return PQgetisnull(letters, i, column) ? nullptr : PQgetvalue(letters, i, column);
    };
    translate::JsonChangeLoader loader;  // the change views into it until it is applied
    Change change;
    if (op_name == "truncate" || !loader.load(PQgetvalue(letters, i, 1), op_name, text_or_null(3),
                                              text_or_null(4), change)) {
      failed_retries_.push_back(id);
      continue;
    }
    SourcePosition position;
    if (!PQgetisnull(letters, i, 5)) {
      position.commit_lsn = Lsn::parse(PQgetvalue(letters, i, 5)).value_or(Lsn{});
    }
    if (!PQgetisnull(letters, i, 6)) {
      position.xid = static_cast<std::uint32_t>(std::stoull(PQgetvalue(letters, i, 6)));
    }
    current_ = position;
    apply_translated(change, id);
  }
}

Applier::RetryReport Applier::retry_dead_letters(const std::string& where_sql,
                                                 const std::vector<const char*>& params) {
  RetryReport report;
  // Outside pipeline mode for the lookup; each letter then gets its own transaction.
  PQexitPipelineMode(conn_.get());
  auto rows = conn_.query(
      "SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid, "
      "commit_time::text FROM dualwrite.dead_letters WHERE resolved_at IS NULL AND (" +
          where_sql + ") ORDER BY id",
      params);
  PQenterPipelineMode(conn_.get());
  const bool was_careful = careful_;
  careful_ = true;
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    const std::int64_t id = std::stoll(PQgetvalue(rows.get(), i, 0));
    // One letter: a result of one row, cut out of the query's result.
    ResultPtr one(PQcopyResult(rows.get(), PG_COPYRES_ATTRS));
    for (int c = 0; c < PQnfields(rows.get()); ++c) {
      PQsetvalue(one.get(), 0, c,
                 PQgetisnull(rows.get(), i, c) ? nullptr : PQgetvalue(rows.get(), i, c),
                 PQgetisnull(rows.get(), i, c) ? -1 : PQgetlength(rows.get(), i, c));
    }
    send_control("BEGIN");
    in_txn_ = true;
    send_control("SAVEPOINT dw_change");
    apply_letters(one.get());
    flush_run();
    send_control("RELEASE SAVEPOINT dw_change");
    sync();
    std::string error;
    if (first_error_) {
      error = *first_error_;
      first_error_.reset();
      send_control("ROLLBACK TO SAVEPOINT dw_change");
      sync();
      failed_retries_.push_back(id);
    }
    const bool failed =
        std::find(failed_retries_.begin(), failed_retries_.end(), id) != failed_retries_.end();
    const std::string ids = "{" + std::to_string(id) + "}";
    const std::string detail = error.empty() ? "" : "retry failed: " + error;
    const char* v[2] = {ids.c_str(), detail.c_str()};
    if (failed) {
      PQsendQueryParams(conn_.get(),
                        "UPDATE dualwrite.dead_letters SET attempts = attempts + 1, "
                        "detail = CASE WHEN $2 = '' THEN detail ELSE $2 END "
                        "WHERE id = ANY($1::bigint[])",
                        2, nullptr, v, nullptr, nullptr, 0);
    } else {
      PQsendQueryPrepared(conn_.get(), std::string(kResolveDeadLetters).c_str(), 1, v, nullptr,
                          nullptr, 0);
    }
    Pending p;
    p.what = "dead letter outcome";
    pending_.push_back(std::move(p));
    send_outcome_recomputation();
    send_control("COMMIT");
    sync();
    in_txn_ = false;
    (failed ? report.failed : report.resolved).push_back(id);
    if (!failed) stats_.unresolved_dead_letters.fetch_sub(1);
    failed_retries_.clear();
    resolved_letters_.clear();
    if (!error.empty()) report.errors.emplace_back(id, error);
  }
  careful_ = was_careful;
  return report;
}

void Applier::end(const SourcePosition& position) {
  last_end_ = position;
  current_.reset();
  stats_.source_transactions.fetch_add(1, std::memory_order_relaxed);
}

void Applier::send_outcome_recomputation() {
  // Item outcomes are a function of the interactions as the transaction leaves them, so they
  // are recomputed once per target transaction, for every (run, slug) it touched.
  if (outcome_keys_.empty()) return;
  std::string runs = "{", slugs = "{";
  for (const auto& [run, slug] : outcome_keys_) {
    if (runs.size() > 1) {
      runs += ',';
      slugs += ',';
    }
    append_array_element(runs, run);
    if (slug.empty()) {
      slugs += "NULL";
    } else {
      append_array_element(slugs, slug);
    }
  }
  runs += '}';
  slugs += '}';
  outcome_keys_.clear();
  const char* v[2] = {runs.c_str(), slugs.c_str()};
  if (PQsendQueryPrepared(conn_.get(), std::string(kRecomputeOutcomes).c_str(), 2, v, nullptr,
                          nullptr, 0) != 1) {
    throw DbError("cannot send outcome recomputation: " + std::string(PQerrorMessage(conn_.get())),
                  "", true);
  }
  Pending outcome;
  outcome.what = "recommendation outcomes";
  pending_.push_back(std::move(outcome));
  ++unsynced_statements_;
}

Lsn Applier::commit() {
  if (!in_txn_) return origin_progress_;
  flush_run();
  send_outcome_recomputation();
  // The outcomes of what is still in flight (dead letters to write) must be known, and their
  // letters queued, before COMMIT: letters written after it would be outside the transaction
  // that advances the origin, and lost if the process dies in between.
  sync();
  if (last_end_ && !options_.origin.empty()) {
    const std::string lsn = last_end_->end_lsn.to_string();
    const std::string time = format_pg_timestamp(last_end_->commit_time_micros);
    const char* values[2] = {lsn.c_str(), time.c_str()};
    if (PQsendQueryPrepared(conn_.get(), "dw_origin_xact_setup", 2, values, nullptr, nullptr, 0) !=
        1) {
      throw DbError("cannot send origin progress: " + std::string(PQerrorMessage(conn_.get())), "",
                    true);
    }
    Pending p;
    p.what = "origin progress";
    pending_.push_back(std::move(p));
  }
  send_control("COMMIT");
  sync();
  if (first_error_) {
    // Careful mode: an error outside any change's savepoint (the commit itself).
    const std::string message = *first_error_;
    rollback();
    throw ApplyRejected(message);
  }
  in_txn_ = false;
  pending_changes_ = pending_bytes_ = 0;
  if (last_end_) origin_progress_ = last_end_->end_lsn;
  last_end_.reset();
  stats_.target_transactions.fetch_add(1, std::memory_order_relaxed);
  return origin_progress_;
}

void Applier::rollback() {
  builder_->reset();
  first_error_.reset();
  pending_changes_ = pending_bytes_ = 0;
  current_.reset();
  last_end_.reset();
  resolved_letters_.clear();
  failed_retries_.clear();
  outcome_keys_.clear();
  records_.clear();
  records_base_ = 0;
  outer_records_.clear();
  builder_->current_record_ = kNoRecord;
  unsynced_statements_ = 0;
  const bool had_txn = in_txn_;
  in_txn_ = false;
  // Best effort: with the connection gone the server has rolled back already; a connection that
  // fails here is dropped, and connect() builds a new one.
  if (conn_.ok()) {
    bool ok = PQpipelineSync(conn_.get()) == 1;
    if (ok && had_txn) {
      ok = PQsendQueryParams(conn_.get(), "ROLLBACK", 0, nullptr, nullptr, nullptr, nullptr, 0) ==
               1 &&
           PQpipelineSync(conn_.get()) == 1;
    }
    // Drain everything up to the last sync.
    const int syncs = ok ? (had_txn ? 2 : 1) : 0;
    for (int seen = 0; ok && seen < syncs;) {
      PGresult* raw = PQgetResult(conn_.get());
      if (raw == nullptr) {
        if (PQstatus(conn_.get()) != CONNECTION_OK) ok = false;
        continue;
      }
      if (PQresultStatus(raw) == PGRES_PIPELINE_SYNC) ++seen;
      PQclear(raw);
    }
    if (!ok) conn_ = Connection{};
  }
  pending_.clear();
}

}  // namespace dualwrite::apply
