-- `dualwrite bootstrap`, on the writer after a resume: a staged chunk into its target table,
-- leaving out what collides with a row already there (rows read in the fresh snapshot may collide
-- with rows an earlier snapshot wrote; the stream re-applies the changes between the two, which
-- settles them). Returns no rows (the count of rows inserted); no parameters.
-- A template: :"schema" and :"table" name the target table, :"stage" its staging table
-- (quote_identifier).
-- In psql: psql -v stage=dw_stage_accounts -v schema=public -v table=accounts -f stage_insert_tolerant.sql
INSERT INTO :"schema".:"table" SELECT * FROM :"stage" ON CONFLICT DO NOTHING
