// When the apply session runs with session_replication_role = replica (apply/session_role.hpp,
// migration 20261206000100): where nothing blocks it and the role may set it; otherwise the
// default role, in which the target's own triggers and foreign keys run. That the statements
// then do what those did is held by the grouped apply's differential tests (grouped_test.cpp:
// the serial side keeps the default role) and the mapping tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bridge_harness.hpp"
#include "dualwrite/apply/session_role.hpp"

namespace dualwrite::testing {
namespace {

constexpr const char* kUser = "a0000000-0000-4000-8000-000000000001";
constexpr const char* kAccount = "b0000000-0000-4000-8000-000000000001";
constexpr const char* kLink = "c0000000-0000-4000-8000-000000000001";

class ReplicaRole : public ::testing::Test {
 protected:
  ReplicaRole() : db_("apply_replica_role"), bridge_(db_) {
    db_.exec(std::string("INSERT INTO auth.users (id, email) VALUES ('") + kUser + "', 'u@x')");
    db_.exec(
        "INSERT INTO public.activities (slug, title, is_published) VALUES ('surf', 'Surf', "
        "true)");
    db_.exec(
        std::string("INSERT INTO public.account_linkages (id, user_id, account_id) VALUES ('") +
        kLink + "', '" + kUser + "', '" + kAccount + "')");
    // What an application might add to a table the bridge writes: an audit trigger.
    db_.exec(
        "CREATE TABLE public.audit_seen (id uuid); "
        "CREATE FUNCTION public.audit_it() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN INSERT INTO public.audit_seen VALUES (NEW.id); RETURN NULL; END$$;");
  }
  void view(const char* slug) {
    db_.exec(std::string("INSERT INTO public.activity_feedback (user_id, activity_slug, "
                         "feedback_type) VALUES ('") +
             kUser + "', '" + slug + "', 'view')");
  }
  std::vector<std::string> blockers() {
    auto conn = pg::Connection::open(db_.conninfo());
    return apply::replica_role_blockers(conn);
  }

  TestDatabase db_;
  Bridge bridge_;
};

TEST_F(ReplicaRole, TheMigratedSchemaHasNothingThatBlocksIt) {
  EXPECT_EQ(blockers(), std::vector<std::string>{});
  view("surf");
  bridge_.pump();
  EXPECT_TRUE(bridge_.replica_role_seen());
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.activity_interactions"), "1");
}

TEST_F(ReplicaRole, ATriggerTheStatementsDoNotKnowKeepsTheDefaultRoleAndRuns) {
  db_.exec(
      "CREATE TRIGGER audit AFTER INSERT ON public.activity_interactions "
      "FOR EACH ROW EXECUTE FUNCTION public.audit_it()");
  EXPECT_EQ(blockers(), std::vector<std::string>{"trigger audit on activity_interactions"});
  view("surf");
  bridge_.pump();
  EXPECT_FALSE(bridge_.replica_role_seen());
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.audit_seen"), "1") << "the trigger ran";

  // A trigger that fires in every role does not block, and still runs.
  db_.exec("ALTER TABLE public.activity_interactions ENABLE ALWAYS TRIGGER audit");
  EXPECT_EQ(blockers(), std::vector<std::string>{});
  view("surf");
  bridge_.pump();
  EXPECT_TRUE(bridge_.replica_role_seen());
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.audit_seen"), "2") << "the trigger ran";

  // One that fires only in the replica role would start firing: it blocks.
  db_.exec("ALTER TABLE public.activity_interactions ENABLE REPLICA TRIGGER audit");
  EXPECT_EQ(blockers(), std::vector<std::string>{"trigger audit on activity_interactions"});
}

TEST_F(ReplicaRole, AForeignKeyTheStatementsDoNotKnowBlocksIt) {
  // A child of a table the bridge deletes from, which no apply statement deletes.
  db_.exec(
      "CREATE TABLE public.session_notes (session_id uuid REFERENCES public.chat_sessions "
      "(id) ON DELETE CASCADE)");
  EXPECT_EQ(blockers(),
            std::vector<std::string>{"foreign key session_notes_session_id_fkey of session_notes"});
  // A known child whose action changed: the statements delete it, the key would refuse.
  db_.exec(
      "DROP TABLE public.session_notes; "
      "ALTER TABLE public.chat_summaries DROP CONSTRAINT chat_summaries_session_id_fkey, "
      "ADD CONSTRAINT chat_summaries_session_id_fkey FOREIGN KEY (session_id) "
      "REFERENCES public.chat_sessions (id) ON DELETE RESTRICT");
  EXPECT_EQ(blockers(), std::vector<std::string>{
                            "foreign key chat_summaries_session_id_fkey of chat_summaries"});
}

TEST_F(ReplicaRole, ARoleThatMayNotSetItKeepsTheDefaultRole) {
  // A role of its own (parameter privileges are cluster-wide: dualwrite's are left alone).
  const std::string role = "dw_no_replica_" + db_.name();
  db_.exec("DROP ROLE IF EXISTS " + role + "; CREATE ROLE " + role + " LOGIN; " +
           "GRANT USAGE ON SCHEMA dualwrite TO " + role);
  {
    auto conn = pg::Connection::open(db_.conninfo() + " user=" + role);
    EXPECT_FALSE(apply::enter_replica_role(conn));
    EXPECT_EQ(conn.scalar("SHOW session_replication_role"), "origin");
  }
  db_.exec("GRANT SET ON PARAMETER session_replication_role TO " + role);
  {
    auto conn = pg::Connection::open(db_.conninfo() + " user=" + role);
    EXPECT_TRUE(apply::enter_replica_role(conn));
    EXPECT_EQ(conn.scalar("SHOW session_replication_role"), "replica");
  }
  db_.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
}

TEST_F(ReplicaRole, TheConfigCanKeepTheDefaultRole) {
  bridge_.set_replica_role(false);
  view("surf");
  bridge_.pump();
  EXPECT_FALSE(bridge_.replica_role_seen());
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.activity_interactions"), "1");
}

}  // namespace
}  // namespace dualwrite::testing
