// The applier's dead letters (mapping.md rule 6): the changes kept for the letters their
// statements may report, writing letters in the transaction of the changes around them,
// superseding the letters of deleted rows, and retrying letters when what they waited for
// arrives (a user's link, a chat session) or when an operator asks.
#include <algorithm>
#include <utility>

#include "applier_internal.hpp"
#include "dualwrite/apply/statements.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/apply.hpp"
#include "dualwrite/translate/json_change.hpp"

namespace dualwrite::apply {

namespace {

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string literal = "{";
  for (auto id : ids) {
    if (literal.size() > 1) literal += ',';
    literal += std::to_string(id);
  }
  literal += '}';
  return literal;
}

std::string detail_of(DeadLetterReason reason) {
  switch (reason) {
    case DeadLetterReason::unlinked_user:
      return "no account: the row has no account_id and its user is not linked";
    case DeadLetterReason::missing_parent:
      return "the chat session of this row does not exist on the target";
    default:
      return std::string(translate::name_of(reason));
  }
}

// The change a letter is about, as errors and log lines describe it (core/context.hpp).
ChangeContext context_of(const Applier::Record& r) {
  return ChangeContext{
      r.unknown_relation.empty() ? std::string(translate::name_of(r.table)) : r.unknown_relation,
      std::string(translate::name_of(r.op)), r.position.commit_lsn, r.position.xid};
}

// The columns of a letter, as sql/apply/dead_letters_insert.sql takes them: its context, when
// the source committed it, and why it is a letter.
struct LetterColumns {
  ChangeContext context;
  std::string lsn, xid, time;
  const std::string* old_key = nullptr;
  const std::string* new_row = nullptr;
  std::string reason;
  const std::string* detail = nullptr;

  LetterColumns(const Applier::Record& r, DeadLetterReason why)
      : context(context_of(r)),
        lsn(context.commit_lsn.to_string()),
        xid(std::to_string(context.xid)),
        time(format_pg_timestamp(r.position.commit_time_micros)),
        old_key(&r.old_key_json),
        new_row(&r.new_row_json),
        reason(translate::name_of(why)) {}

  std::array<Param, 9> params() const {
    auto text = [](const std::string* s) {
      return s == nullptr || s->empty() ? Param::null() : Param::of(*s);
    };
    const bool positioned = context.commit_lsn.is_valid();
    // A transaction applied live (apply/live.hpp) has its xid but no commit yet: its letters
    // get the rest of their position at its commit (sql/apply/live_letters_positioned.sql).
    const bool live = !positioned && context.xid != 0;
    return {Param::of(context.table),
            Param::of(context.operation),
            text(old_key),
            text(new_row),
            positioned ? Param::of(lsn) : Param::null(),
            positioned || live ? Param::of(xid) : Param::null(),
            positioned ? Param::of(time) : Param::null(),
            Param::of(reason),
            Param::of(*detail)};
  }
};

}  // namespace

void set_session_timeouts(pg::Connection& conn, const ApplyOptions& options,
                          std::chrono::milliseconds statement_timeout) {
  const std::string statement = std::to_string(statement_timeout.count());
  const std::string lock = std::to_string(options.lock_timeout.count());
  const std::string idle = std::to_string(options.idle_in_transaction_session_timeout.count());
  conn.query(sql::apply::session_timeouts, {statement.c_str(), lock.c_str(), idle.c_str()});
}

translate::LegacyTable table_of(OpKind kind) {
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
    case OpKind::activity_put:
      return LegacyTable::activities;
  }
  return LegacyTable::account_linkages;
}

void Applier::count_unresolved_letters() {
  auto rows = conn_.query(sql::apply::unresolved_letters);
  take_letter_counts(rows.get());
}

void Applier::refresh_letter_counts() {
  // Other sessions (the main apply connection, a retry) write and resolve letters too: their
  // count decides whether this session's links and sessions look for letters to apply.
  pipeline_->send(sql::apply::unresolved_letters, "unresolved letters",
                  [this](const PGresult* r) { take_letter_counts(r); });
  if (auto error = pipeline_->sync()) throw *error;
}

void Applier::take_letter_counts(const PGresult* rows) {
  std::int64_t total = 0;
  unresolved_unlinked_ = unresolved_missing_parent_ = 0;
  for (int i = 0; i < PQntuples(rows); ++i) {
    const std::string_view reason = PQgetvalue(rows, i, 0);
    const std::int64_t n = std::stoll(PQgetvalue(rows, i, 1));
    total += n;
    if (reason == "unlinked_user") unresolved_unlinked_ = n;
    if (reason == "missing_parent") unresolved_missing_parent_ = n;
  }
  stats_.unresolved_dead_letters.store(total);
}

Applier::Record Applier::record_of(const Change& change) const {
  Record r;
  r.table = change.table;
  r.op = change.op;
  r.position = current_.value_or(SourcePosition{});
  if (change.has_old_key) r.old_key_json = translate::row_to_json(change.table, change.old_key);
  if (change.op == Operation::insert || change.op == Operation::update) {
    r.new_row_json = translate::row_to_json(change.table, change.new_row);
  }
  return r;
}

std::uint64_t Applier::remember(Record record) {
  records_.push_back(std::move(record));
  return records_base_ + records_.size() - 1;
}

Applier::Record& Applier::record_at(std::uint64_t index) {
  return records_[index - records_base_];
}

void Applier::forget_records() {
  // Called with nothing in flight and the stream's batch empty: only the changes being
  // translated right now (their next op may not have reached the batch yet) still need theirs.
  const std::uint64_t end = records_base_ + records_.size();
  std::uint64_t keep_from = end;
  for (auto r : translating_) keep_from = std::min(keep_from, r);
  while (records_base_ < keep_from && !records_.empty()) {
    records_.pop_front();
    ++records_base_;
  }
}

void Applier::count_letter(const Record& record, DeadLetterReason reason) {
  const std::size_t table = record.unknown_relation.empty() ? static_cast<std::size_t>(record.table)
                                                            : ApplyStats::kUnknownRelation;
  stats_.dead_letters[table][static_cast<std::size_t>(reason)].fetch_add(1);
  stats_.unresolved_dead_letters.fetch_add(1);
  if (reason == DeadLetterReason::unlinked_user) ++unresolved_unlinked_;
  if (reason == DeadLetterReason::missing_parent) ++unresolved_missing_parent_;
}

void Applier::add_refusal(const Change& change, DeadLetterReason reason,
                          const std::string& detail) {
  const translate::RowKeys keys(change);
  add_letter(record_of(change), reason, detail, keys.keys());
}

void Applier::add_letter(const Record& r, DeadLetterReason reason, const std::string& detail,
                         std::span<const translate::OpKey> keys) {
  LetterColumns letter(r, reason);
  letter.detail = &detail;
  const auto params = letter.params();
  add_op(kLetterSlot, params, keys, kNoRecord, {});
  count_letter(r, reason);
}

void Applier::write_letter_in_own_transaction(const Record& record, DeadLetterReason reason,
                                              const std::string& detail) {
  Connection side = Connection::open(options_.conninfo, options_.password);
  const auto timeout =
      std::max<std::chrono::milliseconds>(options_.statement_timeout * 10, std::chrono::minutes(1));
  set_session_timeouts(side, options_, timeout);
  auto insert = [&](const std::string& new_row, const std::string& text) {
    LetterColumns letter(record, reason);
    letter.new_row = &new_row;
    letter.detail = &text;
    std::vector<std::string> arrays;
    for (const auto& p : letter.params()) {
      std::string a = "{";
      if (p.is_null) {
        a += "NULL";
      } else {
        pg::append_array_element(a, p.text);
      }
      arrays.push_back(a + "}");
    }
    std::vector<const char*> values;
    for (const auto& a : arrays) values.push_back(a.c_str());
    side.query(statement::dead_letters_insert.sql, values);
  };
  auto stored = pg::attempt(ErrorDomain::target, [&] { insert(record.new_row_json, detail); });
  if (!stored) {
    const Error& e = stored.error();
    // A lost connection is the caller's (reconnect and apply again), as any statement's.
    if (e.connection_lost) throw DbError(e.message, e.sqlstate, true);
    // The row itself is what the target refuses (or what takes too long to store): keep the
    // letter, without the row, and say why.
    insert({}, detail + " [the row could not be stored with the letter: " + e.message + "]");
  }
  // Counted as a letter of the transaction around it would be; it is committed already.
  count_letter(record, reason);
}

void Applier::write_result_letters() {
  if (result_letters_.empty()) return;
  auto letters = std::exchange(result_letters_, {});
  // Records are numbered in stream order: letters are written in it.
  std::stable_sort(letters.begin(), letters.end(),
                   [](const auto& a, const auto& b) { return a.record < b.record; });
  std::vector<const Record*> records;
  std::vector<DeadLetterReason> reasons;
  std::vector<std::string> details;
  for (auto& letter : letters) {
    const Record& r = record_at(letter.record);
    if (r.letter) {
      failed_retries_.push_back(*r.letter);  // a retried letter that still cannot apply
      continue;
    }
    records.push_back(&r);
    reasons.push_back(letter.reason);
    details.push_back(letter.detail.empty() ? detail_of(letter.reason) : std::move(letter.detail));
  }
  if (records.empty()) return;
  send_letters(records, reasons, details);
}

void Applier::send_letters(const std::vector<const Record*>& records,
                           const std::vector<DeadLetterReason>& reasons,
                           const std::vector<std::string>& details) {
  std::array<std::string, 9> arrays;
  for (auto& a : arrays) a = "{";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Record& r = *records[i];
    LetterColumns letter(r, reasons[i]);
    letter.detail = &details[i];
    const auto params = letter.params();
    for (std::size_t c = 0; c < arrays.size(); ++c) {
      if (i > 0) arrays[c] += ',';
      if (params[c].is_null) {
        arrays[c] += "NULL";
      } else {
        pg::append_array_element(arrays[c], params[c].text);
      }
    }
    count_letter(r, reasons[i]);
  }
  std::array<const char*, 9> values{};
  for (std::size_t c = 0; c < arrays.size(); ++c) {
    arrays[c] += '}';
    values[c] = arrays[c].c_str();
  }
  pipeline_->send_prepared(statement::dead_letters_insert.name, values, "dead letters");
}

void Applier::send_supersession(SlotBuffer& deletes) {
  // A deleted row's unresolved letters are moot: retrying them later (when their user is
  // linked, say) would bring the row back. A delete's first parameter is its key list (as an
  // array even when the delete itself went by COPY).
  const std::string table(translate::name_of(table_of(static_cast<OpKind>(deletes.slot))));
  const char* values[2] = {table.c_str(), deletes.finish()[0]};
  pipeline_->send_prepared(statement::supersede_letters.name, values, "superseded dead letters",
                           [this](const PGresult* r) {
                             for (int i = 0; i < PQntuples(r); ++i) {
                               const std::string_view reason = PQgetvalue(r, i, 0);
                               const auto n = std::stoll(PQgetvalue(r, i, 1));
                               if (reason == "unlinked_user") unresolved_unlinked_ -= n;
                               if (reason == "missing_parent") unresolved_missing_parent_ -= n;
                               stats_.unresolved_dead_letters.fetch_sub(n);
                             }
                           });
}

void Applier::retry_letters(DeadLetterReason reason, const std::vector<std::string>& keys) {
  // The letters of this transaction's earlier rows are only known once their results are read
  // (sync writes them), and must exist before they are looked for.
  sync();
  if (first_error_) return;
  const std::string literal = pg::array_literal(keys);
  const char* values[1] = {literal.c_str()};
  ResultPtr letters;
  const Statement& lookup = reason == DeadLetterReason::unlinked_user
                                ? statement::unlinked_letters_of_users
                                : statement::orphan_letters_of_sessions;
  pipeline_->send_prepared(lookup.name, values, "dead letters to retry",
                           [&letters](const PGresult* r) {
                             letters.reset(PQcopyResult(r, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES));
                           });
  sync();
  if (first_error_ || !letters || PQntuples(letters.get()) == 0) return;

  // Retries nest (a retried session retries its messages): each level keeps its own lists of
  // resolved and failed letters, so that each is counted once and against its own reason.
  auto outer_resolved = std::exchange(resolved_letters_, {});
  auto outer_failed = std::exchange(failed_retries_, {});
  const auto saved_current = current_;
  ++depth_;
  if (levels_.size() <= depth_) levels_.emplace_back(options_.batch);
  apply_letters(letters.get());
  flush_batch();
  sync();
  --depth_;
  current_ = saved_current;
  std::vector<std::int64_t> resolved = std::exchange(resolved_letters_, std::move(outer_resolved));
  std::vector<std::int64_t> failed = std::exchange(failed_retries_, std::move(outer_failed));
  if (first_error_) return;
  for (auto* ids : {&resolved, &failed}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  std::erase_if(resolved, [&](std::int64_t id) {
    return std::binary_search(failed.begin(), failed.end(), id);
  });
  if (!resolved.empty()) {
    const std::string list = id_array(resolved);
    const char* v[1] = {list.c_str()};
    pipeline_->send_prepared(statement::resolve_dead_letters.name, v, "resolved dead letters");
  }
  if (!failed.empty()) {
    const std::string list = id_array(failed);
    const char* v[2] = {list.c_str(), nullptr};
    pipeline_->send_prepared(statement::retry_failed.name, v, "dead letters still failing");
  }
  (reason == DeadLetterReason::unlinked_user ? unresolved_unlinked_ : unresolved_missing_parent_) -=
      static_cast<std::int64_t>(resolved.size());
  stats_.unresolved_dead_letters.fetch_sub(static_cast<std::int64_t>(resolved.size()));
}

void Applier::apply_letters(const PGresult* letters) {
  // Columns: id, source_table, operation, old_key, new_row, lsn, xid (commit_time unused).
  for (int i = 0; i < PQntuples(letters); ++i) {
    const std::int64_t id = std::stoll(PQgetvalue(letters, i, 0));
    const std::string_view op_name = PQgetvalue(letters, i, 2);
    auto text_or_null = [&](int column) {
      return PQgetisnull(letters, i, column) ? nullptr : PQgetvalue(letters, i, column);
    };
    translate::JsonChangeLoader loader;  // the change views into it until it is translated
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
    translate_change(change, id);
    resolved_letters_.push_back(id);  // unless its statement reports it again (failed)
  }
}

Applier::RetryReport Applier::retry_dead_letters(const LetterSelection& selection) {
  RetryReport report;
  // Outside pipeline mode for the lookup; each letter then gets its own transaction.
  pipeline_->leave();
  const std::string selected_id = std::to_string(selection.id);
  auto rows = conn_.query(sql::apply::retry_letters,
                          {selected_id.c_str(), selection.reason.c_str(), selection.skip.c_str()});
  pipeline_->enter();
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
    pipeline_->send("BEGIN");
    in_txn_ = true;
    pipeline_->send("SAVEPOINT dw_change");
    resolved_letters_.clear();
    failed_retries_.clear();
    apply_letters(one.get());
    flush_batch();
    pipeline_->send("RELEASE SAVEPOINT dw_change");
    sync();
    std::string error;
    if (first_error_) {
      error = *std::exchange(first_error_, std::nullopt);
      pipeline_->send("ROLLBACK TO SAVEPOINT dw_change");
      sync();
      failed_retries_.push_back(id);
    }
    const bool failed =
        std::find(failed_retries_.begin(), failed_retries_.end(), id) != failed_retries_.end();
    const std::string ids = "{" + std::to_string(id) + "}";
    const std::string detail = error.empty() ? "" : "retry failed: " + error;
    const char* v[2] = {ids.c_str(), detail.c_str()};
    if (failed) {
      pipeline_->send_prepared(statement::retry_failed.name, v, "dead letter retry");
    } else {
      pipeline_->send_prepared(statement::resolve_dead_letters.name, std::span(v, 1),
                               "dead letter retry");
    }
    send_transaction_end();
    pipeline_->send("COMMIT");
    sync();
    reset_state();
    (failed ? report.failed : report.resolved).push_back(id);
    if (!failed) stats_.unresolved_dead_letters.fetch_sub(1);
    if (!error.empty()) report.errors.emplace_back(id, error);
  }
  careful_ = was_careful;
  return report;
}

}  // namespace dualwrite::apply
