-- Phase 0: row-level security on account_metadata, the one table of the seed that had it off.
--
-- account_metadata is the legacy table the proposal keeps as its lightweight JSON store (Phase 3
-- drops its status and onboarding_state, which moved to accounts). Migration 20261125001000 put
-- the proposal's RLS pattern on every new table and on activities; this file does the same here:
--   authenticated  its own account's row, reached through account_user_links and auth.uid():
--                  read it, and change the JSON store (the `metadata` column) and nothing else;
--   anon           nothing;
--   service_role   every row (BYPASSRLS on Supabase and in the shim; the explicit policy keeps
--                  that true even if the attribute is ever dropped), every command;
--   dualwrite      reads every row through its dualwrite_read policy (20261125001100, on all the
--                  legacy tables), not BYPASSRLS: backfill, `run`'s populated-table check and
--                  `dualwrite check` read this table as that role (admin/privileges.hpp lists it).
--
-- What the legacy application can do does not change. It writes account_metadata as the
-- backend: `service_role` (Supabase's server key) and the table's owner (`postgres`, which runs
-- the migrations; what the fixture, the synthetic data, the benchmarks and the tests write as).
-- The owner is exempt from RLS because it is not FORCEd (and the expected-state views, which
-- read this table with their owner's rights, rely on that too); service_role keeps every
-- privilege it held. Account holders were never given this table (tests/pgtap/phase models
-- production that way): on a Supabase project whose default privileges granted it to anon and
-- authenticated anyway, those two could read and rewrite every account's row, which is what
-- this file takes away.
--
-- Why an account holder may change `metadata` only: status, onboarding_state and updated_at are
-- what the bridge carries to accounts (status, onboarding_state, created_at/updated_at), which
-- holders cannot write (20261125001000: a holder who could would lift their own suspension). An
-- INSERT would do the same (its status defaults to 'active'), so holders get no INSERT or DELETE
-- either; the backend creates the row. UPDATE is granted on the column, so the bridge's columns
-- are refused with "permission denied" whatever the policy says.
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

DROP POLICY IF EXISTS account_member_update ON public.account_metadata;
CREATE POLICY account_member_update ON public.account_metadata FOR UPDATE TO authenticated
  USING (account_id IN (SELECT l.account_id FROM public.account_user_links l
                         WHERE l.supabase_user_id = (SELECT auth.uid())))
  WITH CHECK (account_id IN (SELECT l.account_id FROM public.account_user_links l
                              WHERE l.supabase_user_id = (SELECT auth.uid())));

-- REVOKE at table level also takes back column-level grants, so a re-run starts from nothing.
REVOKE ALL ON public.account_metadata FROM PUBLIC, anon, authenticated;
GRANT SELECT, UPDATE (metadata) ON public.account_metadata TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.account_metadata TO service_role;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261204000600', 'account_metadata_rls') ON CONFLICT (version) DO NOTHING;
