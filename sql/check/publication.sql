-- `dualwrite check`, "publication": what the bridge's publication publishes.
-- Returns no row when it does not exist; otherwise one row per table it publishes (one row with
-- a NULL table when it publishes none), each with: FOR ALL TABLES, whether it publishes insert,
-- update, delete and truncate, the table as schema.name (unquoted).
--   $1  the publication's name ([source] publication)
SELECT p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
       t.schemaname || '.' || t.tablename
  FROM pg_publication p
  LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname
 WHERE p.pubname = $1::name
