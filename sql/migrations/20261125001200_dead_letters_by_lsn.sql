-- dead_letters by source position: the bridge checks it before writing a letter, so that a
-- replayed change (dualwrite replay, or a restart that re-applies) is not dead-lettered twice,
-- and `dualwrite replay --from/--to` finds the letters of a range.
CREATE INDEX IF NOT EXISTS dead_letters_lsn ON dualwrite.dead_letters (lsn, xid);

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001200', 'dead_letters_by_lsn') ON CONFLICT (version) DO NOTHING;
