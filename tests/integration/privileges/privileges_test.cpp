// The migrations grant the role `dualwrite` what admin::required_privileges() lists, and on the
// application's tables (schema public) nothing more: the list is what `check` verifies and
// `bootstrap` checks before it starts, so a privilege a command needs and the migrations forgot
// (or one they give and no command needs) fails here. Also: what `check` reports for a revoked
// privilege and a missing policy (the bridge's read policy on account_metadata, which has
// row-level security since 20261204000600, included), and that the migration taking back write
// grants on the application's tables (20261204000200) does.
#include "dualwrite/admin/privileges.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"
#include "support/pg_test.hpp"

namespace {

using dualwrite::admin::ObjectKind;
using dualwrite::admin::Side;
using dualwrite::testing::TestDatabase;

dualwrite::config::Config defaults() {
  return dualwrite::config::load_from_string("", "defaults",
                                             [](const char*) -> const char* { return nullptr; })
      .config;
}

std::vector<std::string> lines_of(dualwrite::apply::Connection& conn, Side side) {
  const auto requirements = dualwrite::admin::required_privileges(defaults());
  std::vector<std::string> out;
  for (const auto& s :
       dualwrite::admin::missing_privileges(conn, "dualwrite", side, requirements)) {
    out.push_back(s.line("dualwrite"));
  }
  return out;
}

std::string file(const std::string& name) {
  std::ifstream in(std::string(DUALWRITE_MIGRATIONS_DIR) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Privileges, TheMigratedRoleHasEverythingTheCommandsNeed) {
  TestDatabase db("privileges_all");
  auto conn = dualwrite::apply::Connection::open(db.conninfo());
  EXPECT_EQ(lines_of(conn, Side::source), std::vector<std::string>{});
  EXPECT_EQ(lines_of(conn, Side::target), std::vector<std::string>{});
}

// Least privilege where it matters most: the application's tables. Each privilege the role
// holds on a table of schema public is one the list names, and the other way round.
TEST(Privileges, OnTheApplicationsTablesTheRoleHoldsExactlyTheList) {
  TestDatabase db("privileges_exact");
  std::set<std::string> listed;
  for (const auto& r : dualwrite::admin::required_privileges(defaults())) {
    if (r.kind != ObjectKind::table || r.object.rfind("public.", 0) != 0) continue;
    for (const auto& p : r.privileges) listed.insert(r.object + " " + p);
  }
  std::set<std::string> granted;
  for (const auto& row :
       db.rows("SELECT 'public.' || c.relname || ' ' || a.privilege_type FROM pg_class c, "
               "aclexplode(c.relacl) a WHERE c.relnamespace = 'public'::regnamespace "
               "AND a.grantee = 'dualwrite'::regrole")) {
    granted.insert(row);
  }
  EXPECT_EQ(granted, listed);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid,"
                      " aclexplode(a.attacl) x WHERE c.relnamespace = 'public'::regnamespace"
                      " AND x.grantee = 'dualwrite'::regrole"),
            "0")
      << "column-level grants to dualwrite on the application's tables";
}

TEST(Privileges, AMissingPrivilegeOrPolicyIsNamedWithItsFix) {
  TestDatabase db("privileges_missing");
  db.exec(
      "REVOKE SELECT ON public.activities FROM dualwrite;"
      "REVOKE EXECUTE ON FUNCTION pg_replication_origin_drop(text) FROM dualwrite;"
      "DROP POLICY dualwrite_all ON public.chat_messages;"
      "CREATE POLICY dualwrite_read ON public.chat_messages FOR SELECT TO dualwrite USING (true);"
      "REVOKE SELECT ON dualwrite_expected._items FROM dualwrite");
  auto conn = dualwrite::apply::Connection::open(db.conninfo());
  EXPECT_EQ(lines_of(conn, Side::source),
            std::vector<std::string>{
                "role dualwrite lacks SELECT on the tables of schema dualwrite_expected: GRANT "
                "SELECT ON ALL TABLES IN SCHEMA dualwrite_expected TO dualwrite (needed by "
                "bootstrap, verify)"});
  const auto target = lines_of(conn, Side::target);
  ASSERT_EQ(target.size(), 3u) << ::testing::PrintToString(target);
  EXPECT_EQ(target[0],
            "public.chat_messages has row-level security and no policy lets role dualwrite "
            "INSERT/UPDATE/DELETE it (it would see or write no rows): CREATE POLICY "
            "dualwrite_insert ON public.chat_messages FOR INSERT TO dualwrite WITH CHECK (true); "
            "CREATE POLICY dualwrite_update ON public.chat_messages FOR UPDATE TO dualwrite USING "
            "(true) WITH CHECK (true); CREATE POLICY dualwrite_delete ON public.chat_messages FOR "
            "DELETE TO dualwrite USING (true) (needed by bootstrap, run, replay, verify, "
            "dead-letters)");
  EXPECT_EQ(target[1],
            "role dualwrite lacks SELECT on public.activities: GRANT SELECT ON public.activities "
            "TO dualwrite (needed by bootstrap, run, replay, dead-letters)");
  EXPECT_EQ(target[2],
            "role dualwrite lacks EXECUTE on pg_catalog.pg_replication_origin_drop(text): GRANT "
            "EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_drop(text) TO dualwrite (as a "
            "superuser) (needed by decommission)");
}

// account_metadata has row-level security (migration 20261204000600). The bridge reads it through
// its dualwrite_read policy, not BYPASSRLS; without that policy the backfill and `run`'s check
// for a populated database would see no rows, so `check` names the policy that is missing.
TEST(Privileges, TheJsonStoreUnderRowLevelSecurityNeedsTheBridgesReadPolicy) {
  TestDatabase db("privileges_metadata_rls");
  auto conn = dualwrite::apply::Connection::open(db.conninfo());
  EXPECT_EQ(lines_of(conn, Side::source), std::vector<std::string>{});
  db.exec("DROP POLICY dualwrite_read ON public.account_metadata");
  EXPECT_EQ(lines_of(conn, Side::source),
            std::vector<std::string>{
                "public.account_metadata has row-level security and no policy lets role "
                "dualwrite read it (it would read no rows): CREATE POLICY dualwrite_read ON "
                "public.account_metadata FOR SELECT TO dualwrite USING (true) (needed by "
                "bootstrap, run)"});
}

// What an operator may have granted to get past "permission denied for table activities" is
// taken back, at table and column level; the role keeps its SELECT.
TEST(Privileges, TheMigrationTakesBackWritesOnTheApplicationsTables) {
  TestDatabase db("privileges_revoke");
  db.exec(
      "GRANT UPDATE (status) ON public.activities TO dualwrite;"
      "GRANT UPDATE, DELETE ON public.activity_feedback TO dualwrite");
  db.exec(file("20261204000200_dualwrite_reads_the_catalog_only.sql"));
  EXPECT_EQ(db.scalar("SELECT has_column_privilege('dualwrite', 'public.activities', 'status', "
                      "'UPDATE')"),
            "f");
  EXPECT_EQ(db.scalar("SELECT has_table_privilege('dualwrite', 'public.activity_feedback', "
                      "'UPDATE') OR has_table_privilege('dualwrite', 'public.activity_feedback', "
                      "'DELETE')"),
            "f");
  EXPECT_EQ(db.scalar("SELECT has_table_privilege('dualwrite', 'public.activities', 'SELECT')"),
            "t");
}

}  // namespace
