-- `dualwrite bootstrap`: the reader's session (the source connection that imports the slot's
-- snapshot), run before its read-only transaction begins, which may fill temporary tables but
-- not create them. Returns nothing; no parameters.
-- dw_merged_likes holds the feedback ids that find_merged_likes.sql computes in the snapshot.
SET application_name = 'dualwrite bootstrap';
SET work_mem = '64MB';
CREATE TEMP TABLE dw_merged_likes (legacy_id bigint PRIMARY KEY)
