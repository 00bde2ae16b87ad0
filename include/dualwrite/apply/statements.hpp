// The statements of the apply stage: the files of sql/apply/, by what they do.
//
// For: naming each statement once: its prepared-statement name and its SQL (embedded from
// sql/apply/<name>.sql at build time; each file says its parameters and result). Every op kind
// (translate/ops.hpp) has one set-based statement over parallel text arrays
// (`unnest(...) WITH ORDINALITY`); each returns a row (ord, outcome) for every op that was not
// simply applied: 'unlinked_user' and 'missing_parent' (apply writes those dead letters) and
// 'merged' (a like/bookmark kept as the earliest one; counted).
// What the target's state decides lives in the SQL: account resolution (rule 3), catalog ids,
// chat sequences, like merging, recommendation outcomes, unchanged TOAST (keep).
// Not for: deciding anything from the change alone (translate does that).
// Thread-safety: constant data.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dualwrite::apply {

struct Statement {
  std::string_view name;  // of the prepared statement
  std::string_view sql;
  bool staged = false;  // a slot statement's staged form (prepared only when it can be used)
};

// The statement of a batch slot (apply/batch.hpp: an op kind, or the dead letters).
const Statement& slot_statement(std::size_t slot);

// The staged form of a slot's statement, nullptr when it has none: the same SQL reading its rows
// from dualwrite.apply_stage (sql/migrations/20261205000200_apply_stage.sql) instead of its
// arrays, deleting them as it reads. Every statement whose input is
// `unnest($1::text[], …, $N::text[]) WITH ORDINALITY AS s(…)` taking all its parameters has one.
const Statement* staged_statement(std::size_t slot);
// `COPY dualwrite.apply_stage (ord, v1, …, vN) FROM STDIN (FORMAT binary)` for a statement of
// `columns` parameters.
const std::string& stage_copy_sql(std::size_t columns);
// The derivation behind staged_statement(), exposed for its tests: nullopt when `sql` does not
// have that shape.
std::optional<std::string> staged_sql(std::string_view sql);
inline constexpr std::size_t kStageColumns = 14;  // v1..v14 of dualwrite.apply_stage

// True for a slot whose statement, called with at most kGenericPlanMaxRows rows, runs with
// plan_cache_mode = force_generic_plan (set and reset around it in its transaction): its custom
// plan costs more to make than the generic one costs to run (feedback_update: ~10 ms of
// planning a call against ~1–2.5 ms of execution either way; the puts of suggestions,
// sessions, messages, summaries, offline likes and profiles: 0.3–3 ms of planning on ~90 % of
// their calls on small tables, bench/README.md), and PostgreSQL's own choice keeps re-planning
// it while the tables are small. Larger calls keep PostgreSQL's choice, which amortises the
// planning. The other statements keep it always: PostgreSQL settles on generic plans for the
// heavy ones itself (feedback_insert), and generic plans for every statement of the session
// were measured slower on filled tables (bench/README.md).
bool prefers_generic_plan(std::size_t slot);
inline constexpr std::size_t kGenericPlanMaxRows = 64;

// Run once per target session before anything else (several statements, not prepared).
std::string_view session_setup_sql();
// What keeps a session from session_replication_role = replica (one row per blocker), and the
// statement that enters it (sql/apply/replica_role_*.sql).
std::string_view replica_role_blockers_sql();
std::string_view replica_role_session_setup_sql();

// The statements besides the slots', prepared once per session.
namespace statement {
extern const Statement dead_letters_insert;
extern const Statement unlinked_letters_of_users;
extern const Statement orphan_letters_of_sessions;
extern const Statement supersede_letters;
extern const Statement resolve_dead_letters;
extern const Statement retry_failed;
extern const Statement recompute_outcomes;
extern const Statement origin_xact_setup;
extern const Statement forget_deleted_links;
// The origin taken and given back around a transaction applied live (apply/live.hpp), and that
// transaction's letters positioned at its commit.
extern const Statement take_origin;
extern const Statement give_back_origin;
extern const Statement live_letters_positioned;
}  // namespace statement

// Every statement to prepare: the slots', their staged forms and the others.
std::span<const Statement* const> all_statements();

}  // namespace dualwrite::apply
