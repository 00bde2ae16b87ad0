-- The apply session's settings, run once per target connection.
-- No temporary tables here, on purpose: a backend's exit drops them in a transaction that commits
-- with the session's replication origin and would move it past a transaction the exit
-- interrupted (migration 20261204000700 says how; its scratch tables replace them).
SET search_path = public, extensions;
SET application_name = 'dualwrite';
-- Generic plans: the apply's statements take arrays, so a custom plan knows little more than a
-- generic one, yet PostgreSQL kept re-planning several of them on every call (the plan cache's
-- cost comparison favoured custom plans): planning was about half of the target's CPU on the
-- mixed workload (bench/README.md, "generic plans").
SET plan_cache_mode = force_generic_plan;
