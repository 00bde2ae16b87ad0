-- `dualwrite bootstrap`: the writer's session (the target connection), run once before the
-- chunks. Returns nothing; no parameters.
-- A lost commit takes its chunk's done mark with it: the chunk is simply done again, so commits
-- need not wait for the WAL flush. The two temporary tables stage the chunks that merge or update
-- rather than append (likes and bookmarks, item outcomes); they are emptied at each commit.
SET application_name = 'dualwrite bootstrap';
SET synchronous_commit = off;
CREATE TEMP TABLE IF NOT EXISTS dw_backfill_likes
  (LIKE public.activity_interactions) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS dw_backfill_outcomes (run_id uuid, activity_slug text,
  presented_at timestamptz, dismissed_at timestamptz, clicked_at timestamptz,
  liked boolean) ON COMMIT DELETE ROWS
