-- Phase 0: row-level security on account_metadata, the one table of the seed that had it off.
--
-- account_metadata is the legacy table the proposal keeps as its lightweight JSON store (Phase 3
-- drops its status and onboarding_state, which moved to accounts). Migration 20261125001000 put
-- the proposal's RLS pattern on every new table and on activities; this file does the same here:
--   authenticated  reads its own account's row, reached through account_user_links and
--                  auth.uid(); writes nothing (as on accounts; why below);
--   anon           nothing;
--   service_role   every row, every command (BYPASSRLS on Supabase and in the shim; the explicit
--                  policy keeps that true even if the attribute is ever dropped);
--   dualwrite      reads every row through its dualwrite_read policy (20261125001100, on all the
--                  legacy tables), not BYPASSRLS: the backfill (the rows it dead-letters), `run`'s
--                  check for a populated database and `dualwrite check` read this table as that
--                  role (admin/privileges.cpp). It writes none of it: the bridge carries this
--                  table's changes to accounts.
--
-- What the legacy application can do does not change. The roles it uses:
--   service_role   its backend (Supabase's server key): writes account_metadata; keeps every
--                  privilege it held, and the policy above lets it see and change every row;
--   the owner      `postgres`, which runs the migrations and is what the fixture, the synthetic
--                  data, the benchmarks and the tests write as: exempt from RLS because it is not
--                  FORCEd (the expected-state views, which read this table with their owner's
--                  rights, rely on that too);
--   authenticated  its client, for the other legacy tables (tests/pgtap/phase models production
--                  that way): never given this table, now a read of its own row only;
--   anon           the published catalog (`activities`) only.
-- On a Supabase project whose default privileges granted this table to anon and authenticated
-- anyway, those two could read and rewrite every account's row, status included: that is what
-- this file takes away.
--
-- Why account holders may not write: status, onboarding_state and updated_at are what the bridge
-- carries to accounts, which holders cannot write (20261125001000: a holder who could would lift
-- their own suspension), and `metadata` is the backend's store, which holders could never change
-- before; an INSERT would create an account. Giving them a column is one GRANT and one policy
-- away, when the application asks for it. Reading only also keeps Phase 2 the same: the switch
-- copies the table's grants (SELECT) to its view.
--
-- Privileges of anon and authenticated are revoked before they are granted, as in
-- 20261125001000, so the result is the same on plain PostgreSQL and on Supabase; service_role's
-- are only added to, never revoked. Policies are dropped and re-created: a re-run restores
-- exactly this file's rules. The Phase 2 switch moves the table to schema `legacy` and Phase 3
-- back to `public`: RLS, policies and grants move with it (tests/pgtap/phase).

-- Re-runs drop and re-create policies; their "does not exist, skipping" notices are noise.
SET LOCAL client_min_messages = warning;

ALTER TABLE public.account_metadata ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS service_role_all ON public.account_metadata;
CREATE POLICY service_role_all ON public.account_metadata FOR ALL TO service_role
  USING (true) WITH CHECK (true);

DROP POLICY IF EXISTS account_member_read ON public.account_metadata;
CREATE POLICY account_member_read ON public.account_metadata FOR SELECT TO authenticated
  USING (account_id IN (SELECT l.account_id FROM public.account_user_links l
                         WHERE l.supabase_user_id = (SELECT auth.uid())));

-- REVOKE at table level also takes back column-level grants, so a re-run starts from nothing.
REVOKE ALL ON public.account_metadata FROM PUBLIC, anon, authenticated;
GRANT SELECT ON public.account_metadata TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.account_metadata TO service_role;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000600', 'account_metadata_rls') ON CONFLICT (version) DO NOTHING;
