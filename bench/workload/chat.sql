-- pgbench: a conversation per user and slot, messages (some long), the running summary.
\set uid random(1, 2000)
\set k random(0, 2)
\set r random(1, 100)
INSERT INTO public.chatbot_conversations (id, user_id, conversation_type, context, created_by)
VALUES (md5('conv' || :uid || :k)::uuid, md5('user' || :uid)::uuid,
        (ARRAY['trip_planning','support','onboarding'])[1 + :r % 3], '{"step": 1}', md5('user' || :uid)::uuid)
ON CONFLICT (id) DO UPDATE SET updated_at = now(), context = jsonb_build_object('step', :r);
INSERT INTO public.chatbot_messages (conversation_id, role, content, metadata)
VALUES (md5('conv' || :uid || :k)::uuid, (ARRAY['user','assistant','system','tool'])[1 + :r % 4],
        CASE WHEN :r % 25 = 0 THEN repeat('long reply ' || :r, 2000) ELSE 'message ' || :r END,
        CASE WHEN :r % 4 = 1 THEN jsonb_build_object('tool_calls', jsonb_build_array(jsonb_build_object('name', 'search')), 'latency_ms', :r, 'model', 'm')
             ELSE '{}' END);
INSERT INTO public.conversation_context (conversation_id, summary)
VALUES (md5('conv' || :uid || :k)::uuid, 'summary ' || :r)
ON CONFLICT (conversation_id) DO UPDATE SET summary = EXCLUDED.summary, updated_at = now();
