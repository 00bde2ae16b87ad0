-- `dualwrite verify`, the first level of a table's comparison, on either side: its rows grouped
-- by the first $1 characters of their key, each segment's prefix, row count and the sum of a
-- 64-bit hash of md5(row text). The first 16 hex digits of md5 as a signed 64-bit integer;
-- sum() over bigint accumulates in 128 bits, so it neither overflows nor cancels duplicated rows
-- (as xor would).
--   $1 the prefix's length (int)
-- A template: :rows is the side's rows (expected_rows.sql or actual_rows.sql, filled).
SELECT coalesce(left(s.k, $1::int), ''), count(*),
       sum(('x' || left(md5(s.r), 16))::bit(64)::bigint)
  FROM (:rows) s
 GROUP BY 1
