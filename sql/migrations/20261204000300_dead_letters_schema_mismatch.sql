-- mapping.md rule 6: dead-letter reason schema_mismatch. A change whose relation in the stream
-- lacks a column the mapping reads, has it with another type, or is not a table the bridge
-- follows (after DDL on the source: a renamed or dropped column, ALTER COLUMN ... TYPE, a renamed
-- table) is written whole, as the stream carried it, with this reason, and the stream goes on
-- (docs/cutover.md, "DDL on legacy tables").
--
-- Idempotent: the CHECK is dropped and re-created with every reason; on the bridge's own small
-- table that takes a moment's ACCESS EXCLUSIVE lock (a running daemon waits for it).
ALTER TABLE dualwrite.dead_letters DROP CONSTRAINT IF EXISTS dead_letters_reason_check;
ALTER TABLE dualwrite.dead_letters ADD CONSTRAINT dead_letters_reason_check
  CHECK (reason IN ('unlinked_user', 'unknown_enum_value', 'invalid_payload', 'missing_parent',
                    'truncate', 'apply_error', 'schema_mismatch'));

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000300', 'dead_letters_schema_mismatch') ON CONFLICT (version) DO NOTHING;
