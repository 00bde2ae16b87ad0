-- Dead letters applied by a retry: resolved (never deleted). $1 ids (text[]).
UPDATE dualwrite.dead_letters
   SET resolved_at = now(), attempts = attempts + 1
 WHERE id = ANY($1::text[]::bigint[]);
