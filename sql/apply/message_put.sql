-- chatbot_messages INSERT/UPDATE. $1 id, $2 session_id, $3 role, $4 content (NULL: keep),
-- $5 tool_calls, $6 latency_ms, $7 metadata (NULL: keep, and keep tool_calls and latency_ms),
-- $8 created_at. A new message's sequence is 1 + the session's highest, counting the new
-- messages of the statement in stream order (ord). Returns (ord, 'missing_parent') for rows
-- whose session does not exist. The sessions are locked as the foreign key's check would lock
-- them (FOR KEY SHARE; the apply session may run with session_replication_role = replica, where
-- the key checks nothing: migration 20261206000100).
WITH src AS (
  SELECT s.ord, s.id::uuid AS id, s.session_id::uuid AS session_id,
         s.role::public.chat_role AS role, s.content, s.tool_calls::jsonb AS tool_calls,
         s.latency_ms::int AS latency_ms, s.metadata::jsonb AS metadata,
         s.created_at::timestamptz AS created_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[])
         WITH ORDINALITY AS s(id, session_id, role, content, tool_calls, latency_ms, metadata,
                              created_at, ord)
), parents AS MATERIALIZED (
  SELECT cs.id FROM public.chat_sessions cs
   WHERE cs.id IN (SELECT session_id FROM src)
     FOR KEY SHARE OF cs
), ok AS (
  SELECT * FROM src WHERE session_id IN (SELECT id FROM parents)
), upd AS (
  UPDATE public.chat_messages m
     SET role = o.role, content = coalesce(o.content, m.content),
         tool_calls = CASE WHEN o.metadata IS NULL THEN m.tool_calls ELSE o.tool_calls END,
         latency_ms = CASE WHEN o.metadata IS NULL THEN m.latency_ms ELSE o.latency_ms END,
         metadata = coalesce(o.metadata, m.metadata), created_at = o.created_at
    FROM ok o WHERE m.id = o.id AND m.session_id = o.session_id
  RETURNING m.id
), fresh AS (
  SELECT o.*, row_number() OVER (PARTITION BY o.session_id ORDER BY o.ord) AS n
    FROM ok o WHERE o.id NOT IN (SELECT id FROM upd)
), ins AS (
  INSERT INTO public.chat_messages (id, session_id, role, content, sequence, tool_calls,
                                    latency_ms, metadata, created_at)
  SELECT f.id, f.session_id, f.role, f.content,
         coalesce((SELECT max(m.sequence) FROM public.chat_messages m
                    WHERE m.session_id = f.session_id), 0) + f.n,
         f.tool_calls, f.latency_ms, coalesce(f.metadata, '{}'), f.created_at
    FROM fresh f
  ON CONFLICT (id, session_id) DO NOTHING
)
SELECT ord, 'missing_parent'::text AS outcome FROM src
 WHERE session_id IS NULL OR session_id NOT IN (SELECT id FROM parents);
