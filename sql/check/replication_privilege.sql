-- `dualwrite check`, "replication privilege": may the role connected stream from a slot.
-- Returns one row: whether the role has REPLICATION, whether it is a superuser.
-- No parameters.
SELECT rolreplication, rolsuper
  FROM pg_roles
 WHERE rolname = current_user
