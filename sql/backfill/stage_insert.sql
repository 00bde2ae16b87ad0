-- `dualwrite bootstrap`, on the writer: a staged chunk into its target table, through the
-- table's row-level security policies (stage_create.sql). Returns no rows (the count of rows
-- inserted); no parameters.
-- A template: :"schema" and :"table" name the target table, :"stage" its staging table
-- (quote_identifier).
-- In psql: psql -v stage=dw_stage_accounts -v schema=public -v table=accounts -f stage_insert.sql
INSERT INTO :"schema".:"table" SELECT * FROM :"stage"
