-- `dualwrite verify`, on the target: records that a run started. Returns its id; no parameters.
INSERT INTO dualwrite.verify_runs DEFAULT VALUES RETURNING id
