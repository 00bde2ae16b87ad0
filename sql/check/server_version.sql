-- `dualwrite check`, "server version": the source server's version (the bridge needs 15 or later).
-- Returns one row: the version as the server spells it, its number (150000 and up: 15 or later),
-- the role connected, the database's name.
-- No parameters.
SELECT current_setting('server_version'),
       current_setting('server_version_num')::int,
       current_user,
       current_database()
