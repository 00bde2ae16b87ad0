-- dualwrite.stream_gaps (migration 20261204000100): what `run` was told to leave behind. Its
-- shape matches the kinds, and the bridge's role may record and read gaps but never rewrite
-- history. (How `status` and `verify` read it, repaired gaps included: tests/shell/tools/
-- slot_dropped.sh.)
BEGIN;
SELECT plan(6);

SELECT lives_ok($$INSERT INTO dualwrite.stream_gaps (slot, origin, kind, from_lsn, to_lsn, acknowledged_by)
                  VALUES ('s', 'o', 'slot_recreated', '0/100', '0/200', '--accept-gap-from 0/100')$$,
                'a recreated slot: from and to');
SELECT lives_ok($$INSERT INTO dualwrite.stream_gaps (slot, origin, kind, to_lsn, acknowledged_by)
                  VALUES ('s', 'o', 'not_backfilled', '0/300', '--skip-backfill')$$,
                'rows never copied: to only');
SELECT throws_ok($$INSERT INTO dualwrite.stream_gaps (slot, origin, kind, to_lsn, acknowledged_by)
                   VALUES ('s', 'o', 'slot_recreated', '0/200', 'x')$$,
                 '23514', NULL, 'a recreated slot needs the position the gap starts at');
SELECT throws_ok($$INSERT INTO dualwrite.stream_gaps (slot, origin, kind, from_lsn, to_lsn, acknowledged_by)
                   VALUES ('s', 'o', 'dropped', '0/1', '0/2', 'x')$$,
                 '23514', NULL, 'only the two kinds');

SELECT ok(has_table_privilege('dualwrite', 'dualwrite.stream_gaps', 'SELECT')
          AND has_table_privilege('dualwrite', 'dualwrite.stream_gaps', 'INSERT'),
          'the bridge role records and reads gaps');
SELECT ok(NOT has_table_privilege('dualwrite', 'dualwrite.stream_gaps', 'UPDATE')
          AND NOT has_table_privilege('dualwrite', 'dualwrite.stream_gaps', 'DELETE'),
          'and cannot rewrite them');

SELECT * FROM finish();
ROLLBACK;
