-- `dualwrite bootstrap`, on the reader in the snapshot: the likes and bookmarks that are not the
-- earliest of their (account, slug, type), by the rule of dualwrite.put_unique_interaction():
-- (created_at, id). Fills the reader's dw_merged_likes (reader_session_setup.sql); returns no
-- rows; no parameters.
INSERT INTO dw_merged_likes
SELECT k.legacy_id
  FROM (SELECT f.legacy_id,
               row_number() OVER (PARTITION BY f.account_id, f.activity_slug, f.interaction_type
                                  ORDER BY f.created_at, f.id) AS n
          FROM dualwrite_expected._feedback f
         WHERE f.interaction_type IN ('like', 'bookmark')) k
 WHERE k.n > 1
