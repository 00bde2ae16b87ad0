-- Phase 0, step 7: Quiz Flow (quiz_forms, quiz_sessions, quiz_answers, quiz_results).
-- No legacy source: these start empty and are written by new application code only.

CREATE TABLE IF NOT EXISTS public.quiz_forms (
  id         uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  -- which quiz this is a version of; (slug, version) identifies a definition
  slug       text        NOT NULL,
  version    integer     NOT NULL CONSTRAINT quiz_forms_version_positive CHECK (version > 0),
  definition jsonb       NOT NULL DEFAULT '{}'::jsonb,
  published  boolean     NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT quiz_forms_slug_version_key UNIQUE (slug, version)
);

CREATE TABLE IF NOT EXISTS public.quiz_sessions (
  id           uuid                       NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  account_id   uuid                       NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  -- RESTRICT: a form version that has sessions is history and must not disappear
  quiz_form_id uuid                       NOT NULL REFERENCES public.quiz_forms (id) ON DELETE RESTRICT,
  status       public.quiz_session_status NOT NULL DEFAULT 'in_progress',
  started_at   timestamptz                NOT NULL DEFAULT now(),
  completed_at timestamptz,
  metadata     jsonb                      NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT quiz_sessions_completed_after_start CHECK (completed_at >= started_at)
);
CREATE INDEX IF NOT EXISTS quiz_sessions_account_started ON public.quiz_sessions (account_id, started_at DESC);
CREATE INDEX IF NOT EXISTS quiz_sessions_quiz_form_id ON public.quiz_sessions (quiz_form_id);
CREATE OR REPLACE TRIGGER quiz_sessions_set_account_id
  BEFORE INSERT ON public.quiz_sessions
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

CREATE TABLE IF NOT EXISTS public.quiz_answers (
  id             uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  session_id     uuid        NOT NULL REFERENCES public.quiz_sessions (id) ON DELETE CASCADE,
  -- the question's key inside the form definition
  question_ref   text        NOT NULL,
  answer_payload jsonb       NOT NULL DEFAULT '{}'::jsonb,
  answered_at    timestamptz NOT NULL DEFAULT now(),
  -- one answer per question and attempt; changing an answer is an upsert
  CONSTRAINT quiz_answers_session_question_key UNIQUE (session_id, question_ref)
);

CREATE TABLE IF NOT EXISTS public.quiz_results (
  id          uuid                    NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  session_id  uuid                    NOT NULL REFERENCES public.quiz_sessions (id) ON DELETE CASCADE,
  -- denormalized from the session so that results are listed per account without a join
  account_id  uuid                    NOT NULL REFERENCES public.accounts (id) ON DELETE CASCADE,
  result_type public.quiz_result_type NOT NULL,
  score       jsonb                   NOT NULL DEFAULT '{}'::jsonb,
  summary     text,
  created_at  timestamptz             NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS quiz_results_session_id ON public.quiz_results (session_id);
CREATE INDEX IF NOT EXISTS quiz_results_account_created ON public.quiz_results (account_id, created_at DESC);
CREATE OR REPLACE TRIGGER quiz_results_set_account_id
  BEFORE INSERT ON public.quiz_results
  FOR EACH ROW EXECUTE FUNCTION public.set_account_id_from_linkage();

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125000700', 'phase0_quiz') ON CONFLICT (version) DO NOTHING;
