-- `dualwrite check`, "replica identity": can the updates and deletes of each legacy table be
-- replicated. The translator finds rows by the legacy primary key in the old tuple (mapping.md),
-- so USING INDEX works only when that index holds every primary-key column.
-- Returns one row per table of $1 that exists, in the order given: its name, relreplident
-- ('d' default, 'n' nothing, 'f' full, 'i' index), whether it has a primary key, whether its
-- replica identity index holds every primary-key column.
--   $1  the table names in schema public, unquoted (text[])
SELECT u.t,
       c.relreplident,
       EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
       coalesce((SELECT bool_and(k = ANY (ri.indkey::int2[]))
                   FROM pg_index pk, unnest(pk.indkey::int2[]) k, pg_index ri
                  WHERE pk.indrelid = c.oid AND pk.indisprimary
                    AND ri.indrelid = c.oid AND ri.indisreplident), false)
  FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)
  JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(u.t))
 ORDER BY u.n
