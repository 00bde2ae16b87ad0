// An apply transaction that never reaches its COMMIT leaves the replication origin where it was,
// even when its backend dies after pg_replication_origin_xact_setup() (pg_terminate_backend,
// idle_in_transaction_session_timeout, a target restart): the origin is the bridge's only record
// of what it applied, so an origin moved past a rolled-back transaction loses it for good.
//
// The session is set up as the applier sets up its own (sql/apply/session_setup.sql, the origin
// bound to the session), and the transaction writes what an apply transaction writes, scratch
// tables included. PostgreSQL drops a dying backend's temporary tables in a transaction of its
// own, which commits with the session's origin and the position the interrupted transaction set:
// that is how kill_restart.sh lost source transactions while temporary tables held the apply's
// scratch state (migration 20261204000700).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <thread>

#include "dualwrite/apply/statements.hpp"
#include "support/pg_test.hpp"

namespace dualwrite::testing {
namespace {

void run(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(r);
  const std::string error = PQresultErrorMessage(r);
  PQclear(r);
  ASSERT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << sql << ": " << error;
}

TEST(InterruptedApply, ABackendThatDiesBeforeCommitLeavesTheOriginWhereItWas) {
  TestDatabase db("interrupted_apply");
  PGconn* apply = PQconnectdb(db.conninfo().c_str());
  ASSERT_EQ(PQstatus(apply), CONNECTION_OK) << PQerrorMessage(apply);
  const std::string pid = std::to_string(PQbackendPID(apply));

  // The applier's session, as Applier::connect() sets it up.
  run(apply, std::string(apply::session_setup_sql()));
  run(apply, "SELECT pg_replication_origin_create('dw_interrupted')");
  run(apply, "SELECT pg_replication_origin_session_setup('dw_interrupted')");
  // One applied transaction: the origin at 0/1000.
  run(apply, "BEGIN");
  run(apply,
      "INSERT INTO public.accounts (id, status) VALUES "
      "('11111111-1111-1111-1111-111111111111', 'active')");
  run(apply, "SELECT pg_replication_origin_xact_setup('0/1000', now())");
  run(apply, "COMMIT");
  ASSERT_EQ(db.scalar("SELECT pg_replication_origin_progress('dw_interrupted', true)"), "0/1000");

  // The next one writes its rows and scratch state, records its position, and dies.
  run(apply, "BEGIN");
  run(apply,
      "INSERT INTO public.accounts (id, status) VALUES "
      "('22222222-2222-2222-2222-222222222222', 'active')");
  run(apply,
      "INSERT INTO dualwrite.apply_deleted_links (supabase_user_id, xid, account_id) VALUES "
      "('33333333-3333-3333-3333-333333333333', 7, '11111111-1111-1111-1111-111111111111')");
  run(apply,
      "INSERT INTO dualwrite.apply_outcome_keys (run_id, slug) VALUES "
      "('44444444-4444-4444-4444-444444444444', 'a')");
  run(apply, "SELECT pg_replication_origin_xact_setup('0/5000000', now())");
  db.exec("SELECT pg_terminate_backend(" + pid + ")");
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == "0";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  PQfinish(apply);
  ASSERT_TRUE(gone) << "the terminated backend did not exit";

  EXPECT_EQ(db.scalar("SELECT pg_replication_origin_progress('dw_interrupted', true)"), "0/1000")
      << "the origin moved past a transaction that was rolled back";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM public.accounts"), "1");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM dualwrite.apply_deleted_links"), "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM dualwrite.apply_outcome_keys"), "0");
  db.exec("SELECT pg_replication_origin_drop('dw_interrupted')");
}

}  // namespace
}  // namespace dualwrite::testing
