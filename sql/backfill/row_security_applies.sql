-- Whether row-level security applies to the current role on table $1 (a qualified name): COPY
-- FROM refuses such a table, so the backfill stages its rows and inserts them (backfill.cpp).
-- It applies when the table has RLS enabled, unless the role is a superuser, has BYPASSRLS, or
-- owns the table without FORCE ROW LEVEL SECURITY (PostgreSQL's check_enable_rls).
SELECT c.relrowsecurity
       AND NOT (r.rolsuper OR r.rolbypassrls)
       AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE'))
  FROM pg_class c, pg_roles r
 WHERE c.oid = $1::regclass AND r.rolname = current_user
