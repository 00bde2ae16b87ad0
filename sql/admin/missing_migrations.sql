-- admin::missing_migrations (check, status, run): which of the migrations this build ships the
-- target has not recorded in dualwrite.schema_migrations.
-- Returns (version), one row per missing migration.
--   $1  the versions this build ships (text[])
SELECT v
  FROM unnest($1::text[]) v
 WHERE NOT EXISTS (SELECT FROM dualwrite.schema_migrations m WHERE m.version = v);
