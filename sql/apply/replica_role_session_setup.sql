-- Run after session_setup.sql when the target allows it and replica_role_blockers.sql found
-- nothing: the target skips the foreign keys' checks and actions and the ordinary triggers of
-- what the session writes, as in PostgreSQL's own apply worker; the apply statements do what
-- those did (migration 20261206000100). Needs a superuser or GRANT SET ON PARAMETER.
SET session_replication_role = replica;
