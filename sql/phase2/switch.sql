-- The Phase 2 switch: the legacy table names become views over the new tables, atomically for
-- every client (compat.switch(), described in 20261125800000_phase2_compat.sql and
-- docs/cutover.md). Run as the owner of the legacy tables, after `scripts/migrate CONNINFO
-- --dir sql/phase2`, with the bridge running and caught up:
--
--   psql -X -v ON_ERROR_STOP=1 "CONNINFO" -f sql/phase2/switch.sql \
--        [-v slot=dualwrite] [-v origin=dualwrite] [-v wait=10s] [-v lock_wait=5s]
--
--   slot, origin  the bridge's ([source] slot / origin of dualwrite.toml); the switch waits until
--                 the bridge has applied every legacy write committed before it locked the
--                 tables. `-v slot=` (empty): no bridge to wait for (only when legacy writes
--                 stopped before the bridge was removed).
--   wait          how long to wait for the bridge, holding the legacy tables locked (every
--                 legacy client waits meanwhile): the lag gate comes first, this only absorbs
--                 the last moments of lag.
--   lock_wait     how long to wait for the locks (a long transaction on a legacy table makes
--                 the switch fail cleanly rather than stall every client; rerun it).
-- On any refusal nothing has changed. Re-running after a success does nothing.
\set ON_ERROR_STOP on
\if :{?slot}
\else
  \set slot dualwrite
\endif
\if :{?origin}
\else
  \set origin dualwrite
\endif
\if :{?wait}
\else
  \set wait 10s
\endif
\if :{?lock_wait}
\else
  \set lock_wait 5s
\endif

SELECT compat.switch(slot => nullif(:'slot', '')::name, origin => nullif(:'origin', ''),
                     wait => :'wait'::interval, lock_wait => :'lock_wait'::interval) AS phase2_switch;
