-- `dualwrite check`, "source" and "target": where the connection landed.
-- Returns one row: the database's name, the role connected.
-- No parameters.
SELECT current_database(), current_user
