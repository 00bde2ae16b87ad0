-- Dead letters a retry could not apply yet: they keep their place, one attempt more.
-- $1 ids (text[]), $2 the retry's error as the new detail (NULL or empty: the detail stays).
UPDATE dualwrite.dead_letters
   SET attempts = attempts + 1,
       detail = CASE WHEN coalesce($2::text, '') = '' THEN detail ELSE $2::text END
 WHERE id = ANY ($1::text[]::bigint[]);
