-- conversation_context INSERT/UPDATE. $1 session_id, $2 summary (NULL: keep), $3 last_updated_at.
-- Returns (ord, 'missing_parent') for rows whose session does not exist. The sessions are locked
-- as the foreign key's check would lock them (message_put.sql).
WITH src AS (
  SELECT s.ord, s.session_id::uuid AS session_id, s.summary,
         s.last_updated_at::timestamptz AS last_updated_at
    FROM unnest($1::text[], $2::text[], $3::text[])
         WITH ORDINALITY AS s(session_id, summary, last_updated_at, ord)
), parents AS MATERIALIZED (
  SELECT cs.id FROM public.chat_sessions cs
   WHERE cs.id IN (SELECT session_id FROM src)
     FOR KEY SHARE OF cs
), ok AS (
  SELECT * FROM src WHERE session_id IN (SELECT id FROM parents)
), upd AS (
  UPDATE public.chat_summaries t
     SET summary = coalesce(o.summary, t.summary), last_updated_at = o.last_updated_at
    FROM ok o WHERE t.session_id = o.session_id
  RETURNING t.session_id
), ins AS (
  INSERT INTO public.chat_summaries (session_id, summary, last_updated_at)
  SELECT session_id, summary, last_updated_at
    FROM ok WHERE session_id NOT IN (SELECT session_id FROM upd)
  ON CONFLICT (session_id) DO NOTHING
)
SELECT ord, 'missing_parent'::text AS outcome FROM src
 WHERE session_id IS NULL OR session_id NOT IN (SELECT id FROM parents);
