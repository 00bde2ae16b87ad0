-- The apply session's own state, run once per target connection.
-- dw_deleted_links: links deleted earlier in the open target transaction, which account
-- resolution still finds (mapping.md rule 4: a user's deletion cascades in an undefined order).
CREATE TEMP TABLE IF NOT EXISTS dw_deleted_links (
  supabase_user_id uuid NOT NULL,
  account_id uuid NOT NULL
) ON COMMIT DELETE ROWS;
SET search_path = public, extensions, pg_temp;
SET application_name = 'dualwrite';
