-- `dualwrite check`, "legacy tables": which of the [source] tables exist in schema public.
-- Returns one row per table, in the order given: its name, whether it exists.
--   $1  the table names, unquoted, as [source] tables lists them (text[])
SELECT u.t, to_regclass('public.' || u.t) IS NOT NULL
  FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n)
 ORDER BY u.n
