-- `dualwrite verify`, on the target: the rows of a table's differing leaf segments, as key,
-- md5(row text) and whether the row goes unreported when it is not expected, in byte order of
-- the key (COLLATE "C", as std::string compares); read through a cursor, a fetch at a time.
-- A template: :rows is the side's rows (actual_rows_flagged.sql, filled); :leaves the condition
-- that selects the leaves, one `coalesce(left(s.k, $n::int), '') = ANY ($m::text[])` per level
-- (verify/statements.hpp with_leaves), whose lengths and prefixes are its parameters.
SELECT s.k, md5(s.r), s.ig
  FROM (:rows) s
 WHERE :leaves
 ORDER BY s.k COLLATE "C"
