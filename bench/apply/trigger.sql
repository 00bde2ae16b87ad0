-- The trigger-based alternative to the bridge (benchmark b): an AFTER INSERT trigger on
-- activity_feedback that writes the same activity_interactions row as dualwrite would
-- (mapping.md, activity_feedback rules), synchronously, inside the source transaction:
--   * id = uuid v5 of 'activity_feedback:' || id in the mapping namespace;
--   * account resolution: the row's account_id, else the account linked to its user in
--     account_user_links (rule 3);
--   * the type mapping (like, dislike -> skip + legacy_feedback_type, skip, view,
--     save -> bookmark, booked -> book, shared -> share);
--   * activity_id from the catalog, interaction source + recommendation item outcome when the
--     row has a suggestion_id;
--   * ON CONFLICT DO NOTHING (replays, like/bookmark merging).
-- Rows the bridge would dead-letter (unknown type, unlinked user) are skipped here: a trigger
-- has nowhere transactional-but-non-failing to put them other than a table, and the benchmark
-- workload has none. Installed only in the benchmark's own database (bench/apply/run).
CREATE OR REPLACE FUNCTION public.bench_dual_write_feedback() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
DECLARE
  v_account uuid := NEW.account_id;
  v_type    public.interaction_type;
  v_meta    jsonb := NEW.metadata;
  v_source  uuid;
BEGIN
  IF v_account IS NULL THEN
    SELECT l.account_id INTO v_account
      FROM public.account_user_links l WHERE l.supabase_user_id = NEW.user_id;
  END IF;
  v_type := CASE NEW.feedback_type
              WHEN 'like' THEN 'like' WHEN 'dislike' THEN 'skip' WHEN 'skip' THEN 'skip'
              WHEN 'view' THEN 'view' WHEN 'save' THEN 'bookmark' WHEN 'booked' THEN 'book'
              WHEN 'shared' THEN 'share' END;
  IF v_account IS NULL OR v_type IS NULL THEN
    RETURN NULL;
  END IF;
  IF NEW.feedback_type = 'dislike' THEN
    v_meta := v_meta || '{"legacy_feedback_type": "dislike"}'::jsonb;
  END IF;
  IF NEW.suggestion_id IS NOT NULL THEN
    v_source := public.uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45',
                                        'interaction_sources:recommendation:' || NEW.suggestion_id);
    INSERT INTO public.interaction_sources (id, source_type, source_id, context, created_at)
    VALUES (v_source, 'recommendation', NEW.suggestion_id, '{}', NEW.created_at)
    ON CONFLICT (id) DO NOTHING;
    UPDATE public.recommendation_items ri
       SET liked        = CASE NEW.feedback_type WHEN 'like' THEN true WHEN 'dislike' THEN false
                               ELSE ri.liked END,
           dismissed_at = CASE WHEN NEW.feedback_type IN ('dislike', 'skip')
                               THEN coalesce(ri.dismissed_at, NEW.created_at) ELSE ri.dismissed_at END,
           presented_at = CASE WHEN NEW.feedback_type = 'view'
                               THEN coalesce(ri.presented_at, NEW.created_at) ELSE ri.presented_at END,
           clicked_at   = CASE WHEN NEW.feedback_type IN ('save', 'booked', 'shared')
                               THEN coalesce(ri.clicked_at, NEW.created_at) ELSE ri.clicked_at END
     WHERE ri.run_id = NEW.suggestion_id AND ri.activity_slug = NEW.activity_slug;
  END IF;
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  VALUES (public.uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45',
                                  'activity_feedback:' || NEW.id),
          v_account, (SELECT a.id FROM public.activities a WHERE a.slug = NEW.activity_slug),
          NEW.activity_slug, v_type, v_source, NEW.score, v_meta, NEW.created_at)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER bench_dual_write_feedback
  AFTER INSERT ON public.activity_feedback
  FOR EACH ROW EXECUTE FUNCTION public.bench_dual_write_feedback();

-- What the bridge would have created from account_linkages: the accounts and their links.
INSERT INTO public.accounts (id, status, created_at, updated_at)
SELECT DISTINCT account_id, 'active'::public.account_status, created_at, created_at FROM public.account_linkages
ON CONFLICT (id) DO NOTHING;
INSERT INTO public.account_user_links (account_id, supabase_user_id, is_primary, linked_at)
SELECT account_id, user_id, true, created_at FROM public.account_linkages;
