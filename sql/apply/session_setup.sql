-- The apply session's settings, run once per target connection.
-- No temporary tables here, on purpose: a backend's exit drops them in a transaction that commits
-- with the session's replication origin and would move it past a transaction the exit
-- interrupted (migration 20261204000700 says how; its scratch tables replace them).
SET search_path = public, extensions;
SET application_name = 'dualwrite';
