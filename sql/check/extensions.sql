-- `dualwrite check`, "extensions": the extensions the new tables use (migration 20261125000100):
-- uuid-ossp and pgcrypto, and vector (optional).
-- Returns one row per extension, in that order: its name, its installed version ('' when it is
-- not installed).
-- No parameters.
SELECT e.name, coalesce(x.extversion, '')
  FROM unnest(ARRAY['uuid-ossp', 'pgcrypto', 'vector']) WITH ORDINALITY AS e(name, n)
  LEFT JOIN pg_extension x ON x.extname = e.name
 ORDER BY e.n
