-- The apply session's settings, run once per target connection.
-- No temporary tables here, on purpose: a backend's exit drops them in a transaction that commits
-- with the session's replication origin and would move it past a transaction the exit
-- interrupted (migration 20261204000700 says how; its scratch tables replace them).
SET search_path = public, extensions;
SET application_name = 'dualwrite';
-- No JIT: the apply's statements are many and short, and a plan whose estimate passes
-- jit_above_cost (a generic plan's row estimates on a large table can) would compile its
-- expressions on every call: 150 ms a call for a 2 ms statement, measured (bench/README.md,
-- 2026-12-06).
SET jit = off;
