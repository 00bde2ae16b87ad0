-- Phase 0, step 5: Interactions (interaction_sources, activity_interactions, offline_interactions,
-- view activity_likes_latest).
--
-- activity_interactions is built for 1.5 B rows (10x today's activity_feedback) without another
-- migration: HASH-partitioned by account_id into 16 partitions, each at most ~95 M rows, smaller
-- than today's unpartitioned activity_feedback (150 M) which production runs fine. Why hash by
-- account (sql/README.md has the whole argument):
--   * every account-scoped read (RLS, feeds, "my likes") names account_id and prunes to one
--     partition;
--   * the like/bookmark uniqueness must include the partition key, and (account, activity, type)
--     does naturally;
--   * no partition has to be created ahead of time (a time-range scheme needs a scheduler, and
--     would make per-account uniqueness impossible).
-- The price: a partitioned table's keys include the partition key, so the primary key is
-- (id, account_id); the bridge's by-id updates and deletes (it derives id from the legacy key
-- alone) probe the 16 partitions' PK indexes, each a cheap index lookup on a leading column.
--
-- Also: a BEFORE ROW trigger cannot set a partition key (PostgreSQL routes the row first and
-- then refuses to move it), so here account_id is filled by DEFAULT public.current_account_id(),
-- which runs before routing, instead of the shared trigger used on the other tables.

CREATE TABLE IF NOT EXISTS public.interaction_sources (
  id          uuid                           NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  source_type public.interaction_source_type NOT NULL,
  -- the run, quiz session or chat session that led to the interaction. No FK: it points at
  -- different tables by source_type, and the bridge creates a source for a suggestion even when
  -- that suggestion's run was dead-lettered.
  source_id   uuid,
  context     jsonb                          NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz                    NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS interaction_sources_source
  ON public.interaction_sources (source_type, source_id);

CREATE TABLE IF NOT EXISTS public.activity_interactions (
  id                uuid                    NOT NULL DEFAULT gen_random_uuid(),
  account_id        uuid                    NOT NULL DEFAULT public.current_account_id()
                                            REFERENCES public.accounts (id) ON DELETE CASCADE,
  -- NULL when the slug is not (or no longer) in the catalog; SET NULL keeps the history when an
  -- activity is deleted, activity_slug still says what it was.
  activity_id       uuid                    REFERENCES public.activities (id) ON DELETE SET NULL,
  activity_slug     text                    NOT NULL,
  interaction_type  public.interaction_type NOT NULL,
  source_session_id uuid                    REFERENCES public.interaction_sources (id) ON DELETE SET NULL,
  score_delta       numeric(6,3),
  metadata          jsonb                   NOT NULL DEFAULT '{}'::jsonb,
  created_at        timestamptz             NOT NULL DEFAULT now(),
  PRIMARY KEY (id, account_id)
) PARTITION BY HASH (account_id);
COMMENT ON TABLE public.activity_interactions IS
  'Unified interaction log (was activity_feedback). Hash-partitioned by account_id, 16 partitions.';

DO $mig$
BEGIN
  FOR r IN 0..15 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.activity_interactions '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                   'activity_interactions_p' || lpad(r::text, 2, '0'), r);
  END LOOP;
END
$mig$;

-- A like or a bookmark is unique per account and activity. Keyed by activity_slug, not
-- activity_id: activity_id is NULL for slugs missing from the catalog, and NULLs never collide,
-- so an id-based key would let duplicate likes of those activities through. Slugs are UNIQUE in
-- activities, so for catalogued activities both keys are equivalent. It includes account_id, the
-- partition key, as a unique index on a partitioned table must.
CREATE UNIQUE INDEX IF NOT EXISTS activity_interactions_unique_like_bookmark
  ON public.activity_interactions (account_id, activity_slug, interaction_type)
  WHERE interaction_type IN ('like', 'bookmark');
-- an account's recent activity (feeds, RLS-scoped listings)
CREATE INDEX IF NOT EXISTS activity_interactions_account_created
  ON public.activity_interactions (account_id, created_at DESC);
-- FK support: without them deleting one activity or source scans every partition
CREATE INDEX IF NOT EXISTS activity_interactions_activity_id
  ON public.activity_interactions (activity_id) WHERE activity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS activity_interactions_source_session_id
  ON public.activity_interactions (source_session_id) WHERE source_session_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS public.offline_interactions (
  id               uuid                    NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  account_id       uuid                    NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  activity_slug    text                    NOT NULL,
  interaction_type public.interaction_type NOT NULL DEFAULT 'like',
  payload          jsonb                   NOT NULL DEFAULT '{}'::jsonb,
  updated_at       timestamptz             NOT NULL DEFAULT now()
);
-- Not unique: the legacy key is (user, slug), and an account may have several users.
CREATE INDEX IF NOT EXISTS offline_interactions_account_slug
  ON public.offline_interactions (account_id, activity_slug);

CREATE OR REPLACE TRIGGER offline_interactions_set_account_id
  BEFORE INSERT ON public.offline_interactions
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

-- Latest like per account and activity. security_invoker: the view reads with the caller's
-- rights, so RLS of activity_interactions applies (a default view would run as its owner and
-- show every account's likes). DISTINCT ON keeps it correct even if like-uniqueness is relaxed.
CREATE OR REPLACE VIEW public.activity_likes_latest
  WITH (security_invoker = true) AS
SELECT DISTINCT ON (i.account_id, i.activity_slug)
       i.id, i.account_id, i.activity_id, i.activity_slug, i.source_session_id,
       i.score_delta, i.metadata, i.created_at
  FROM public.activity_interactions i
 WHERE i.interaction_type = 'like'
 ORDER BY i.account_id, i.activity_slug, i.created_at DESC, i.id DESC;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000500', 'phase0_interactions') ON CONFLICT (version) DO NOTHING;
