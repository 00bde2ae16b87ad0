-- Phase 0, step 8: Chat (chat_sessions, chat_messages, chat_summaries, chat_session_metrics).
--
-- chat_messages must hold 1.6 B rows (10x chatbot_messages). It is HASH-partitioned by
-- session_id into 16 partitions (~100 M rows each at 10x): every read of messages is "the
-- messages of one session, in order", and so is the bridge's "1 + highest sequence of the
-- session", so they prune to one partition; deleting a session cascades into one partition; and
-- (session_id, sequence), the natural order key, contains the partition key and can be UNIQUE.
-- The primary key is (id, session_id); the bridge's by-id updates and deletes probe the 16 PK
-- indexes. chat_sessions (80 M at 10x) stays one table.

CREATE TABLE IF NOT EXISTS public.chat_sessions (
  id               uuid                     NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  account_id       uuid                     NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  session_type     public.chat_session_type NOT NULL,
  state            jsonb                    NOT NULL DEFAULT '{}'::jsonb,
  started_at       timestamptz              NOT NULL DEFAULT now(),
  last_activity_at timestamptz              NOT NULL DEFAULT now(),
  closed_at        timestamptz,
  -- the auth user who opened it; NULL: opened by the system. No FK (see account_user_links).
  created_by       uuid,
  metadata         jsonb                    NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS chat_sessions_account_last_activity
  ON public.chat_sessions (account_id, last_activity_at DESC);
CREATE OR REPLACE TRIGGER chat_sessions_set_account_id
  BEFORE INSERT ON public.chat_sessions
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

CREATE TABLE IF NOT EXISTS public.chat_messages (
  id         uuid             NOT NULL DEFAULT gen_random_uuid(),
  session_id uuid             NOT NULL REFERENCES public.chat_sessions (id) ON DELETE CASCADE,
  role       public.chat_role NOT NULL,
  content    text             NOT NULL,
  -- position in the session, 1-based; assigned as 1 + the session's highest (mapping.md)
  sequence   integer          NOT NULL CONSTRAINT chat_messages_sequence_positive CHECK (sequence > 0),
  tool_calls jsonb,
  latency_ms integer,
  metadata   jsonb            NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (id, session_id),
  CONSTRAINT chat_messages_session_sequence_key UNIQUE (session_id, sequence)
) PARTITION BY HASH (session_id);
COMMENT ON TABLE public.chat_messages IS
  'Messages of a chat session (was chatbot_messages). Hash-partitioned by session_id, 16 partitions.';

DO $mig$
BEGIN
  FOR r IN 0..15 LOOP
    EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.chat_messages '
                   'FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                   'chat_messages_p' || lpad(r::text, 2, '0'), r);
  END LOOP;
END
$mig$;

CREATE TABLE IF NOT EXISTS public.chat_summaries (
  session_id      uuid        NOT NULL PRIMARY KEY REFERENCES public.chat_sessions (id) ON DELETE CASCADE,
  summary         text        NOT NULL,
  last_updated_at timestamptz NOT NULL DEFAULT now()
);

-- Derived per-session numbers for analytics, recomputed by a job; one row per session.
CREATE TABLE IF NOT EXISTS public.chat_session_metrics (
  session_id              uuid        NOT NULL PRIMARY KEY REFERENCES public.chat_sessions (id) ON DELETE CASCADE,
  message_count           integer     NOT NULL DEFAULT 0 CHECK (message_count >= 0),
  user_message_count      integer     NOT NULL DEFAULT 0 CHECK (user_message_count >= 0),
  assistant_message_count integer     NOT NULL DEFAULT 0 CHECK (assistant_message_count >= 0),
  tool_call_count         integer     NOT NULL DEFAULT 0 CHECK (tool_call_count >= 0),
  total_latency_ms        bigint      NOT NULL DEFAULT 0 CHECK (total_latency_ms >= 0),
  first_message_at        timestamptz,
  last_message_at         timestamptz,
  computed_at             timestamptz NOT NULL DEFAULT now()
);

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000800', 'phase0_chat') ON CONFLICT (version) DO NOTHING;
