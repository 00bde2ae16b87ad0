#include "dualwrite/verify/statements.hpp"

#include <utility>

#include "dualwrite/core/sql_template.hpp"
#include "dualwrite/sql/verify.hpp"

namespace dualwrite::verify {

namespace {

// `rows` the side's rows for the segments, `leaf_rows` its leaf_rows filled.
SideStatements side(const std::string& rows, std::string leaf_rows) {
  return SideStatements{with_sql(sql::verify::segments, "rows", rows),
                        with_sql(sql::verify::segments_under, "rows", rows), std::move(leaf_rows)};
}

}  // namespace

SideStatements expected_statements(const Spec& spec) {
  std::string rows = with_identifier(sql::verify::expected_rows, "table", spec.table);
  rows = with_sql(with_sql(rows, "key_expr", spec.key_expr), "expected_row", spec.expected_row);
  return side(rows, with_sql(sql::verify::leaf_rows, "rows", rows));
}

SideStatements actual_statements(const Spec& spec) {
  auto fill = [&](std::string_view rows) {
    std::string out = with_sql(rows, "key_expr", spec.key_expr);
    out = with_sql(with_sql(out, "actual_row", spec.actual_row), "actual_from", spec.actual_from);
    return with_sql(out, "extra_ignored", spec.extra_ignored);
  };
  // Only the leaves read whether an unexpected row is reported; the segments need not compute it.
  return side(fill(sql::verify::actual_rows), with_sql(sql::verify::leaf_rows_flagged, "rows",
                                                       fill(sql::verify::actual_rows_flagged)));
}

std::string with_leaves(std::string_view leaf_rows, std::size_t levels) {
  std::string where;
  for (std::size_t i = 0; i < levels; ++i) {
    const std::string length = "$" + std::to_string(2 * i + 1);
    const std::string prefixes = "$" + std::to_string(2 * i + 2);
    if (!where.empty()) where += " OR ";
    where += "coalesce(left(s.k, " + length + "::int), '') = ANY (" + prefixes + "::text[])";
  }
  return with_sql(leaf_rows, "leaves", where);
}

}  // namespace dualwrite::verify
