-- `dualwrite verify`, a deeper level of a table's comparison, on either side: the rows under the
-- differing segments of the level above, grouped by one more key character, as segments.sql
-- groups them (prefix, row count, sum of row hashes).
--   $1 the prefix's length (int), $2 the prefixes of the level above, $1 - 1 long (text[])
-- A template: :rows is the side's rows (expected_rows.sql or actual_rows.sql, filled).
SELECT coalesce(left(s.k, $1::int), ''), count(*),
       sum(('x' || left(md5(s.r), 16))::bit(64)::bigint)
  FROM (:rows) s
 WHERE coalesce(left(s.k, $1::int - 1), '') = ANY ($2::text[])
 GROUP BY 1
