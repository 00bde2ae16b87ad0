-- What role $1 lacks of each required privilege (include/dualwrite/admin/privileges.hpp), one
-- row per requirement, in the order given: $2 the object kinds (table, tables_in_schema,
-- function, schema, database), $3 the objects, $4 the privileges of each, comma-separated.
--   present   the object exists (false: the migrations are not applied);
--   lacking   the privileges not granted (to the role, a role it is a member of, or PUBLIC);
--   blocked   for a table under row-level security that applies to the role: the commands
--             among the privileges (SELECT, INSERT, UPDATE, DELETE) that no permissive policy
--             for the role (or PUBLIC) lets it run: it would read no rows, or write none;
--   name      the object as a fix names it (the database's name for kind database).
-- Superusers and BYPASSRLS roles pass every RLS test; so does the table's owner unless FORCE.
-- Read-only, and safe on a database without the migrations: a function is only looked up once
-- every type of its signature exists (to_regprocedure raises on an unknown type).
SELECT r.n,
       o.oid IS NOT NULL AS present,
       ARRAY(
         SELECT p FROM unnest(string_to_array(r.privileges, ',')) p
          WHERE o.oid IS NOT NULL AND NOT CASE r.kind
            WHEN 'table' THEN has_table_privilege($1::name, o.oid, p)
            WHEN 'function' THEN has_function_privilege($1::name, o.oid, p)
            WHEN 'schema' THEN has_schema_privilege($1::name, o.oid, p)
            WHEN 'database' THEN has_database_privilege($1::name, o.oid, p)
            ELSE NOT EXISTS (  -- tables_in_schema
              SELECT FROM pg_class c
               WHERE c.relnamespace = o.oid AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
                 AND NOT has_table_privilege($1::name, c.oid, p))
          END
       ) AS lacking,
       ARRAY(
         SELECT p FROM unnest(string_to_array(r.privileges, ',')) p
           JOIN pg_class c ON c.oid = o.oid
           JOIN pg_roles me ON me.rolname = $1::name
          WHERE r.kind = 'table' AND p IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
            AND c.relrowsecurity AND NOT (me.rolsuper OR me.rolbypassrls)
            AND (c.relforcerowsecurity OR NOT pg_has_role(me.oid, c.relowner, 'USAGE'))
            AND NOT EXISTS (
              SELECT FROM pg_policy pol
               WHERE pol.polrelid = c.oid AND pol.polpermissive
                 AND pol.polcmd IN ('*', CASE p WHEN 'SELECT' THEN 'r' WHEN 'INSERT' THEN 'a'
                                              WHEN 'UPDATE' THEN 'w' ELSE 'd' END::"char")
                 AND EXISTS (SELECT FROM unnest(pol.polroles) pr
                              WHERE pr = 0 OR pg_has_role(me.oid, pr, 'USAGE')))
       ) AS blocked,
       CASE WHEN r.kind = 'database' THEN current_database() ELSE r.object END AS name
  FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(kind, object, privileges, n)
 CROSS JOIN LATERAL (
   SELECT CASE r.kind
            WHEN 'table' THEN to_regclass(r.object)::oid
            WHEN 'function' THEN
              CASE WHEN (SELECT bool_and(to_regtype(btrim(a)) IS NOT NULL)
                           FROM unnest(string_to_array(
                                  nullif(substring(r.object FROM '\((.*)\)'), ''), ',')) a)
                        IS NOT FALSE
                   THEN to_regprocedure(r.object)::oid END
            WHEN 'database' THEN (SELECT d.oid FROM pg_database d
                                   WHERE d.datname = current_database())
            ELSE to_regnamespace(r.object)::oid
          END AS oid) o
 ORDER BY r.n
