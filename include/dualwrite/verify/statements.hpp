// The statements of `dualwrite verify` that depend on the table compared: the templates of
// sql/verify/ filled from the table's row of dualwrite_expected.compare_spec.
//
// For: verify.cpp, and the PREPARE test, which fills them for every table as verify does.
// Not for: running them (verify.cpp), or the statements that name no table (used straight from
// dualwrite::sql::verify).
// Where the SQL lives: sql/verify/ (cmake/embed_sql.cmake); the per-table expressions in
// dualwrite_expected.compare_spec (migration 20261125001600_compare.sql), read from the source.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dualwrite::verify {

// A row of dualwrite_expected.compare_spec: how one target table is compared. Its expressions
// are SQL over alias x that the migration wrote; they fill the templates as they are (with_sql).
struct Spec {
  std::string table;
  std::string key_expr;
  std::string expected_row;
  std::string actual_from;
  std::string actual_row;
  std::string extra_ignored;
};

// One side's statements for one table.
struct SideStatements {
  std::string segments;        // $1 prefix length: (prefix, count, hash sum) per segment
  std::string segments_under;  // $1 prefix length, $2 the differing prefixes above (text[])
  std::string leaf_rows;       // (key, md5[, ignored]) by key, its :leaves left to with_leaves
};
// The expected side: the view dualwrite_expected.<table> on the source.
SideStatements expected_statements(const Spec& spec);
// The actual side: the table on the target, its unexpected rows flagged in leaf_rows.
SideStatements actual_statements(const Spec& spec);

// `leaf_rows` restricted to the rows under the leaves, whose prefixes are of `levels` lengths:
// level i (from 0) takes the parameters $(2i+1), its prefix length, and $(2i+2), its prefixes
// (text[]).
std::string with_leaves(std::string_view leaf_rows, std::size_t levels);

}  // namespace dualwrite::verify
