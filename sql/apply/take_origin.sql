-- Takes the replication origin $1 for this session and reads how far it has applied: the main
-- apply connection at connect, and again after a transaction applied live on the second
-- connection (apply/live.hpp) committed with it, which moved it. PostgreSQL 15 lets one session
-- hold an origin at a time. Returns the origin's progress (NULL when it has none).
SELECT pg_replication_origin_session_setup($1), pg_replication_origin_progress($1, true);
