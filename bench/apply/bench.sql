-- Helpers of bench/apply/run, created in every database the benchmark uses (schema bench_apply).
CREATE SCHEMA IF NOT EXISTS bench_apply;

-- The applied position of a replication origin (dualwrite's, or a subscription's pg_<oid>).
-- pg_replication_origin_status reads shared memory: it is live inside a running statement.
CREATE OR REPLACE FUNCTION bench_apply.origin_lsn(origin text) RETURNS pg_lsn
  LANGUAGE sql STABLE AS
  $$ SELECT remote_lsn FROM pg_replication_origin_status WHERE external_id = origin $$;

-- Waits, polling every 20 ms, until the origin has applied a commit that ends after `past` (an
-- insert position taken inside the source transaction just before its COMMIT, so its commit
-- record ends after it), and returns the clock time it saw that. NULL after timeout_s.
CREATE OR REPLACE FUNCTION bench_apply.wait_applied(origin text, past pg_lsn, timeout_s float8)
  RETURNS timestamptz LANGUAGE plpgsql AS $fn$
DECLARE
  deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
  got pg_lsn;
BEGIN
  LOOP
    got := bench_apply.origin_lsn(origin);
    IF got IS NOT NULL AND got > past THEN
      RETURN clock_timestamp();
    END IF;
    IF clock_timestamp() > deadline THEN
      RETURN NULL;
    END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
END
$fn$;

-- Benchmark c: samples (time, source WAL insert position, origin's applied position) every
-- 10 ms for load_s seconds, then keeps sampling the origin until it passes the last source
-- position or drain_s seconds have passed.
CREATE OR REPLACE FUNCTION bench_apply.sample(origin text, load_s float8, drain_s float8)
  RETURNS TABLE (n int, t timestamptz, src pg_lsn, applied pg_lsn) LANGUAGE plpgsql AS $fn$
DECLARE
  t_end timestamptz := clock_timestamp() + make_interval(secs => load_s);
  deadline timestamptz;
  last_src pg_lsn;
BEGIN
  n := 0;
  LOOP
    n := n + 1;
    t := clock_timestamp();
    src := pg_current_wal_insert_lsn();
    applied := bench_apply.origin_lsn(origin);
    RETURN NEXT;
    EXIT WHEN t >= t_end;
    PERFORM pg_sleep(0.01);
  END LOOP;
  last_src := src;
  src := NULL;
  deadline := clock_timestamp() + make_interval(secs => drain_s);
  LOOP
    PERFORM pg_sleep(0.01);
    n := n + 1;
    t := clock_timestamp();
    applied := bench_apply.origin_lsn(origin);
    RETURN NEXT;
    EXIT WHEN applied >= last_src OR t >= deadline;
  END LOOP;
END
$fn$;
