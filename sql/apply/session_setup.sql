-- The apply session's own state, run once per target connection.
-- dw_deleted_links: links deleted earlier in the open target transaction, by the source
-- transaction (xid) that deleted them: account resolution in that source transaction still finds
-- them (mapping.md rule 4: a user's deletion cascades in an undefined order), later ones do not,
-- whichever target transaction they share. One per user and xid, so that the statements' joins
-- on it never multiply a row.
-- dw_outcome_keys: recommendation items whose outcome a statement of the open transaction may
-- have changed without the applier knowing the item (a deleted feedback names only its id);
-- recompute_outcomes.sql reads them once before the commit.
CREATE TEMP TABLE IF NOT EXISTS dw_deleted_links (
  supabase_user_id uuid NOT NULL,
  xid bigint NOT NULL,
  account_id uuid NOT NULL,
  PRIMARY KEY (supabase_user_id, xid)
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS dw_outcome_keys (
  run_id uuid NOT NULL,
  slug text
) ON COMMIT DELETE ROWS;
SET search_path = public, extensions, pg_temp;
SET application_name = 'dualwrite';
