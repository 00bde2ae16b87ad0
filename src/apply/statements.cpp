#include "dualwrite/apply/statements.hpp"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "dualwrite/apply/batch.hpp"
#include "dualwrite/sql/apply.hpp"

namespace dualwrite::apply {

namespace {

namespace files = sql::apply;
using translate::OpKind;

// Slots in OpKind order, then the dead letters (batch.hpp).
constexpr std::array<Statement, kSlotCount> kSlots{{
    {"dw_link_put", files::link_put},
    {"dw_link_delete", files::link_delete},
    {"dw_account_metadata_put", files::account_metadata_put},
    {"dw_profile_put", files::profile_put},
    {"dw_profile_delete", files::profile_delete},
    {"dw_feedback_insert", files::feedback_insert},
    {"dw_feedback_update", files::feedback_update},
    {"dw_feedback_delete", files::feedback_delete},
    {"dw_suggestion_put", files::suggestion_put},
    {"dw_suggestion_delete", files::suggestion_delete},
    {"dw_offline_put", files::offline_put},
    {"dw_offline_delete", files::offline_delete},
    {"dw_session_put", files::session_put},
    {"dw_session_delete", files::session_delete},
    {"dw_message_put", files::message_put},
    {"dw_message_delete", files::message_delete},
    {"dw_summary_put", files::summary_put},
    {"dw_summary_delete", files::summary_delete},
    {"dw_activity_put", files::activity_put},
    {"dw_dead_letters_insert", files::dead_letters_insert},
}};
static_assert(static_cast<std::size_t>(OpKind::activity_put) + 1 == kLetterSlot);

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// True when `arguments` is exactly "$1::text[], $2::text[], …" (any spacing); sets `count`.
bool numbered_text_arrays(std::string_view arguments, std::size_t& count) {
  count = 0;
  std::size_t pos = 0;
  for (;;) {
    while (pos < arguments.size() && is_space(arguments[pos])) ++pos;
    const std::string expected = "$" + std::to_string(count + 1) + "::text[]";
    if (arguments.substr(pos, expected.size()) != expected) return false;
    pos += expected.size();
    ++count;
    while (pos < arguments.size() && is_space(arguments[pos])) ++pos;
    if (pos == arguments.size()) return true;
    if (arguments[pos] != ',') return false;
    ++pos;
  }
}

// A `$n` outside comments (the files' header comments name their parameters).
bool has_parameter(std::string_view sql) {
  for (std::size_t i = 0; i + 1 < sql.size(); ++i) {
    if (sql[i] == '-' && sql[i + 1] == '-') {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (sql[i] == '$' && std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0) {
      return true;
    }
  }
  return false;
}

// Where the statement itself starts: past the leading comment lines and blank lines.
std::size_t statement_start(std::string_view sql) {
  std::size_t pos = 0;
  while (pos < sql.size()) {
    std::size_t line_end = sql.find('\n', pos);
    if (line_end == std::string_view::npos) line_end = sql.size();
    std::string_view line = sql.substr(pos, line_end - pos);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    if (!line.empty() && !line.starts_with("--")) return pos;
    pos = line_end + 1;
  }
  return sql.size();
}

constexpr std::string_view kStagedInput =
    "dw_staged AS (DELETE FROM dualwrite.apply_stage RETURNING *)";

// The staged statements, by slot (empty: none), built once from the files.
const std::array<std::string, kSlotCount>& staged_sql_by_slot() {
  static const auto staged = [] {
    std::array<std::string, kSlotCount> out;
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      out[slot] = staged_sql(kSlots[slot].sql).value_or("");
    }
    return out;
  }();
  return staged;
}

// Their names: the slot's, "_staged" appended.
const std::array<std::string, kSlotCount>& staged_names() {
  static const auto names = [] {
    std::array<std::string, kSlotCount> out;
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      out[slot] = std::string(kSlots[slot].name) + "_staged";
    }
    return out;
  }();
  return names;
}

const std::array<Statement, kSlotCount>& staged_statements() {
  static const auto statements = [] {
    std::array<Statement, kSlotCount> out{};
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      out[slot] = {staged_names()[slot], staged_sql_by_slot()[slot], true};
    }
    return out;
  }();
  return statements;
}

}  // namespace

std::optional<std::string> staged_sql(std::string_view sql) {
  const std::size_t open = sql.find("unnest(");
  if (open == std::string_view::npos) return std::nullopt;
  const std::size_t arguments = open + std::string_view("unnest(").size();
  const std::size_t close = sql.find(')', arguments);
  if (close == std::string_view::npos) return std::nullopt;
  std::size_t columns = 0;
  if (!numbered_text_arrays(sql.substr(arguments, close - arguments), columns) ||
      columns > kStageColumns) {
    return std::nullopt;
  }
  std::size_t after = close + 1;
  while (after < sql.size() && is_space(sql[after])) ++after;
  constexpr std::string_view kOrdinality = "WITH ORDINALITY";
  if (sql.substr(after, kOrdinality.size()) != kOrdinality) return std::nullopt;
  const std::size_t input_end = after + kOrdinality.size();
  if (has_parameter(sql.substr(0, open)) || has_parameter(sql.substr(input_end))) {
    return std::nullopt;
  }
  // The rows in the order the arrays had them; `ord` last, as WITH ORDINALITY adds it.
  std::string input = "(SELECT ";
  for (std::size_t c = 1; c <= columns; ++c) input += "v" + std::to_string(c) + ", ";
  input += "ord FROM dw_staged ORDER BY ord)";

  const std::size_t start = statement_start(sql);
  std::string out(sql.substr(0, start));
  std::string_view body = sql.substr(start, open - start);
  if (body.starts_with("WITH ")) {
    out += "WITH ";
    out += kStagedInput;
    out += ",\n     ";
    body.remove_prefix(5);
  } else {
    out += "WITH ";
    out += kStagedInput;
    out += '\n';
  }
  out += body;
  out += input;
  out += sql.substr(input_end);
  return out;
}

bool prefers_generic_plan(std::size_t slot) {
  // Measured one by one (bench/README.md, 2026-12-05 and 2026-12-06): each of these is
  // re-planned on nearly every small call on tables of the size a migration starts with.
  static constexpr OpKind kGeneric[] = {
      OpKind::feedback_update, OpKind::feedback_delete, OpKind::suggestion_put, OpKind::session_put,
      OpKind::message_put,     OpKind::summary_put,     OpKind::offline_put,    OpKind::profile_put,
  };
  for (const OpKind kind : kGeneric) {
    if (slot == slot_of(kind)) return true;
  }
  return false;
}

const Statement* staged_statement(std::size_t slot) {
  if (slot >= kSlotCount || staged_sql_by_slot()[slot].empty()) return nullptr;
  return &staged_statements()[slot];
}

const std::string& stage_copy_sql(std::size_t columns) {
  static const auto sql = [] {
    std::array<std::string, kStageColumns + 1> out;
    for (std::size_t n = 0; n <= kStageColumns; ++n) {
      out[n] = "COPY dualwrite.apply_stage (ord";
      for (std::size_t c = 1; c <= n; ++c) out[n] += ", v" + std::to_string(c);
      out[n] += ") FROM STDIN (FORMAT binary)";
    }
    return out;
  }();
  return sql.at(columns);
}

namespace statement {
const Statement dead_letters_insert = kSlots[kLetterSlot];
const Statement unlinked_letters_of_users{"dw_unlinked_letters_of_users",
                                          files::unlinked_letters_of_users};
const Statement orphan_letters_of_sessions{"dw_orphan_letters_of_sessions",
                                           files::orphan_letters_of_sessions};
const Statement supersede_letters{"dw_supersede_letters", files::supersede_letters};
const Statement resolve_dead_letters{"dw_resolve_dead_letters", files::resolve_dead_letters};
const Statement retry_failed{"dw_retry_failed", files::retry_failed};
const Statement recompute_outcomes{"dw_recompute_outcomes", files::recompute_outcomes};
const Statement origin_xact_setup{"dw_origin_xact_setup", files::origin_xact_setup};
const Statement forget_deleted_links{"dw_forget_deleted_links", files::forget_deleted_links};
const Statement take_origin{"dw_take_origin", files::take_origin};
const Statement give_back_origin{"dw_give_back_origin", files::give_back_origin};
const Statement live_letters_positioned{"dw_live_letters_positioned",
                                        files::live_letters_positioned};
}  // namespace statement

const Statement& slot_statement(std::size_t slot) {
  return kSlots[slot];
}

std::string_view session_setup_sql() {
  return files::session_setup;
}

std::string_view replica_role_blockers_sql() {
  return files::replica_role_blockers;
}

std::string_view replica_role_session_setup_sql() {
  return files::replica_role_session_setup;
}

std::span<const Statement* const> all_statements() {
  static const auto all = [] {
    std::vector<const Statement*> a;
    for (const auto& s : kSlots) a.push_back(&s);
    for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
      if (const Statement* staged = staged_statement(slot)) a.push_back(staged);
    }
    for (const auto* s :
         {&statement::unlinked_letters_of_users, &statement::orphan_letters_of_sessions,
          &statement::supersede_letters, &statement::resolve_dead_letters, &statement::retry_failed,
          &statement::recompute_outcomes, &statement::origin_xact_setup,
          &statement::forget_deleted_links, &statement::take_origin, &statement::give_back_origin,
          &statement::live_letters_positioned}) {
      a.push_back(s);
    }
    return a;
  }();
  return all;
}

}  // namespace dualwrite::apply
