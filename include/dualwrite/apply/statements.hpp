// The SQL of each target operation (translate/ops.hpp) and of the target session.
//
// For: set-based statements: every OpKind is one prepared statement over parallel text arrays
// (`unnest(...) WITH ORDINALITY`), so a run of N consecutive ops of one kind costs one statement,
// not N round trips. Each statement returns a row (ord, outcome) for every op that was not
// simply applied: 'unlinked_user' and 'missing_parent' (apply writes those dead letters) and
// 'merged' (a like/bookmark kept as the first one; counted).
// What the target's state decides lives here: account resolution (rule 3), catalog ids,
// chat sequences, like merging, recommendation outcomes, unchanged TOAST (keep).
// Not for: deciding anything from the change alone (translate does that).
// Thread-safety: constant data.
#pragma once

#include <string_view>

#include "dualwrite/translate/ops.hpp"

namespace dualwrite::apply {

// The prepared statement's name and SQL of an op kind.
std::string_view statement_name(translate::OpKind kind);
std::string_view statement_sql(translate::OpKind kind);

// Run once per target session before anything else: the transaction-local table that keeps
// the links deleted in this transaction (rule 4) and the statements used besides the op kinds.
std::string_view session_setup_sql();

inline constexpr std::string_view kInsertDeadLetter = "dw_dead_letter";
std::string_view insert_dead_letter_sql();
inline constexpr std::string_view kUnlinkedLettersOfUsers = "dw_unlinked_letters";
// $1: text[] of user ids. Returns id, source_table, operation, old_key, new_row, lsn, xid,
// commit_time of the unresolved unlinked_user letters of those users, oldest first, locked.
std::string_view unlinked_letters_of_users_sql();
inline constexpr std::string_view kFeedbackMerge = "dw_feedback_merge";
// The parameters of feedback_insert: its likes/bookmarks that did not go straight in, merged
// one by one (sent right after each feedback_insert statement). Returns (ord, 'merged').
std::string_view feedback_merge_sql();
inline constexpr std::string_view kSupersedeLetters = "dw_supersede_letters";
// $1: legacy table name, $2: text[] of the keys a delete op names. Marks the unresolved
// insert/update letters of those rows resolved (a later DELETE supersedes them: retrying them
// would bring back a deleted row). Returns (reason, count).
std::string_view supersede_letters_sql();
inline constexpr std::string_view kRecomputeOutcomes = "dw_recompute_outcomes";
// $1: text[] of recommendation run ids, $2: text[] of slugs (NULL: every item of the run).
std::string_view recompute_outcomes_sql();
inline constexpr std::string_view kOrphanLettersOfSessions = "dw_orphan_letters";
// $1: text[] of chat session ids. The same columns, for unresolved missing_parent letters of
// chat rows of those sessions.
std::string_view orphan_letters_of_sessions_sql();
inline constexpr std::string_view kResolveDeadLetters = "dw_resolve_dead_letters";
std::string_view resolve_dead_letters_sql();  // $1: text[] of dead letter ids

}  // namespace dualwrite::apply
