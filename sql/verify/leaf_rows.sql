-- `dualwrite verify`, on the source: the expected rows of a table's differing leaf segments, as
-- key and md5(row text), in byte order of the key (COLLATE "C", as std::string compares); read
-- through a cursor, a fetch at a time.
-- A template: :rows is the side's rows (expected_rows.sql, filled); :leaves the condition that
-- selects the leaves, one `coalesce(left(s.k, $n::int), '') = ANY ($m::text[])` per level
-- (verify/statements.hpp with_leaves), whose lengths and prefixes are its parameters.
SELECT s.k, md5(s.r)
  FROM (:rows) s
 WHERE :leaves
 ORDER BY s.k COLLATE "C"
