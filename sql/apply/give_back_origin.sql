-- Gives the session's replication origin back (so that the other apply connection may take it
-- for its commit); a no-op when the session holds none, so that it can follow a failed commit
-- whose pipeline may or may not have taken it. Returns no rows.
SELECT pg_replication_origin_session_reset() WHERE pg_replication_origin_session_is_setup();
