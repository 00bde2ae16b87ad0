-- `dualwrite check`, "wal_level": logical decoding needs wal_level = logical.
-- Returns one row: the setting.
-- No parameters.
SELECT current_setting('wal_level')
