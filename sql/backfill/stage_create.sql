-- `dualwrite bootstrap`, on the writer: the staging table of a target table, a temporary copy
-- of its columns emptied at each commit, for the chunks that cannot be COPYed into the table
-- straight (backfill.cpp copy_rows_staged: resumed, or under row-level security). Returns
-- nothing; no parameters.
-- A template: :"stage" is the staging table, :"schema" and :"table" the target table
-- (quote_identifier).
-- In psql: psql -v stage=dw_stage_accounts -v schema=public -v table=accounts -f stage_create.sql
CREATE TEMP TABLE IF NOT EXISTS :"stage" (LIKE :"schema".:"table") ON COMMIT DELETE ROWS
