// Live apply (apply/live.hpp): a large source transaction applied while it streams, on a
// second target connection, while small transactions commit around it on the source. Each
// scenario runs the same SQL, in the same order across two source sessions, on two databases:
// one bridge applies streamed transactions live, the other spools them (PostgreSQL 15's own
// way); the new tables and the dead letters must come out the same, and the counters say which
// way the large transaction went.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bridge_harness.hpp"

namespace dualwrite::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kU1 = "a1000000-0000-4000-8000-000000000001";  // linked
constexpr const char* kU2 = "a1000000-0000-4000-8000-000000000002";  // linked
constexpr const char* kU3 = "a1000000-0000-4000-8000-000000000003";  // never linked
constexpr const char* kConversation = "d1000000-0000-4000-8000-000000000001";

std::string q(const std::string& text) {
  return "'" + text + "'";
}

// A second source session (the large transaction's, or the small ones').
class Session {
 public:
  explicit Session(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn_));
  }
  ~Session() { PQfinish(conn_); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(r);
    const std::string error = PQresultErrorMessage(r);
    PQclear(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      throw std::runtime_error(error + " in: " + sql.substr(0, 200));
    }
  }

 private:
  PGconn* conn_;
};

// `n` activity_feedback rows of `user` with ids from `first_id`, enough of them to make the
// walsender stream the transaction (64kB of logical_decoding_work_mem).
std::string feedback(const char* user, long first_id, int n, const std::string& type = "view") {
  return "INSERT INTO public.activity_feedback (id, user_id, activity_slug, feedback_type, score, "
         "metadata, created_at) SELECT " +
         std::to_string(first_id) + " + i, " + q(user) + ", 'act-' || (i % 3), " + q(type) +
         ", 0.5, '{\"n\": 1}', '2026-02-01'::timestamptz + i * interval '1 second' "
         "FROM generate_series(0, " +
         std::to_string(n - 1) + ") i;";
}

// One step: the SQL a session runs (0: the large transaction's, 1: the small ones').
struct Step {
  int session;
  std::string sql;
};

struct Result {
  std::vector<std::string> rows;
  std::uint64_t live = 0;
  std::uint64_t fallbacks = 0;
  std::string unpositioned_letters;
};

Result run(const std::string& name, const std::vector<Step>& steps, bool live) {
  TestDatabase db(name + (live ? "_l" : "_s"));
  Bridge bridge(db, "2");
  if (live) bridge.set_live(300ms);
  db.exec(
      "INSERT INTO public.activities (id, slug, title, is_published, created_at) VALUES "
      "('e1000000-0000-4000-8000-000000000000', 'act-0', 'A0', true, '2026-01-01'), "
      "('e1000000-0000-4000-8000-000000000001', 'act-1', 'A1', true, '2026-01-01'), "
      "('e1000000-0000-4000-8000-000000000002', 'act-2', 'A2', true, '2026-01-01')");
  db.exec("INSERT INTO auth.users (id) VALUES (" + q(kU1) + "), (" + q(kU2) + "), (" + q(kU3) +
          ")");
  db.exec(
      "INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES "
      "('c1000000-0000-4000-8000-000000000001', " +
      q(kU1) +
      ", 'b1000000-0000-4000-8000-000000000001', '2026-01-01'), "
      "('c1000000-0000-4000-8000-000000000002', " +
      q(kU2) + ", 'b1000000-0000-4000-8000-000000000002', '2026-01-01')");
  bridge.pump();  // the setup, before any streaming
  Session large(db.conninfo()), small(db.conninfo());
  for (const auto& step : steps) (step.session == 0 ? large : small).exec(step.sql);
  db.exec("SET logical_decoding_work_mem = '64kB'");
  bridge.pump();
  Result out;
  out.rows = bridge.target_snapshot();
  // Everything again: the origin skips it (the bridge's own large target transaction comes
  // back through the slot too, as an empty streamed transaction: it changes nothing).
  bridge.pump();
  EXPECT_EQ(bridge.target_snapshot(), out.rows) << "a second pump changed something";
  out.live = bridge.stats().live_transactions.load();
  out.fallbacks = bridge.stats().live_fallbacks.load();
  out.unpositioned_letters =
      db.scalar("SELECT count(*) FROM dualwrite.dead_letters WHERE lsn IS NULL");
  return out;
}

// Runs `steps` both ways; returns the live side's counters.
Result both_ways(const std::string& name, const std::vector<Step>& steps) {
  Result spooled = run(name, steps, false);
  Result live = run(name, steps, true);
  EXPECT_EQ(spooled.live + spooled.fallbacks, 0u);
  EXPECT_GT(live.rows.size(), 3u);
  std::sort(live.rows.begin(), live.rows.end());
  auto spooled_rows = spooled.rows;
  std::sort(spooled_rows.begin(), spooled_rows.end());
  std::vector<std::string> only_live, only_spooled;
  std::set_difference(live.rows.begin(), live.rows.end(), spooled_rows.begin(), spooled_rows.end(),
                      std::back_inserter(only_live));
  std::set_difference(spooled_rows.begin(), spooled_rows.end(), live.rows.begin(), live.rows.end(),
                      std::back_inserter(only_spooled));
  only_live.resize(std::min<std::size_t>(only_live.size(), 5));
  only_spooled.resize(std::min<std::size_t>(only_spooled.size(), 5));
  EXPECT_EQ(only_live, std::vector<std::string>{});
  EXPECT_EQ(only_spooled, std::vector<std::string>{});
  EXPECT_EQ(live.rows.size(), spooled.rows.size());
  EXPECT_EQ(live.unpositioned_letters, "0") << "a live transaction's letters get their position";
  return live;
}

TEST(LiveApply, ACommittedTransactionIsAppliedAsItStreamsAndEqualsTheSpooledOne) {
  // Small transactions of another user commit between its chunks; a rolled-back savepoint of
  // it is rolled back on the target; rows of an unlinked user become letters in it.
  const auto live = both_ways(
      "live_commit",
      {{0, "BEGIN;" + feedback(kU1, 1000, 3000)},
       {1, feedback(kU2, 90000, 1)},
       {1,
        "INSERT INTO public.chatbot_conversations (id, user_id, conversation_type, created_at, "
        "updated_at) VALUES (" +
            q(kConversation) + ", " + q(kU2) +
            ", 'trip_planning', '2026-02-01', '2026-02-01');"
            "INSERT INTO public.chatbot_messages (id, conversation_id, role, content, "
            "created_at) VALUES ('d2000000-0000-4000-8000-000000000001', " +
            q(kConversation) + ", 'user', 'hi', '2026-02-01');"},
       {0, "SAVEPOINT s1;" + feedback(kU1, 10000, 2000) + "ROLLBACK TO SAVEPOINT s1;"},
       {1, feedback(kU2, 90010, 1, "like")},
       {0, "SAVEPOINT s2;" + feedback(kU1, 20000, 1000) + "RELEASE SAVEPOINT s2;"},
       {0, feedback(kU3, 30000, 500) +
               "INSERT INTO public.offline_likes (user_id, activity_slug, updated_at) "
               "VALUES (" +
               q(kU1) + ", 'act-1', '2026-02-02'); COMMIT;"},
       {1, feedback(kU2, 90020, 1)}});
  EXPECT_EQ(live.live, 1u);
  EXPECT_EQ(live.fallbacks, 0u);
}

TEST(LiveApply, AnAbortedTransactionLeavesNothingAndTheOthersAreApplied) {
  const auto live = both_ways("live_abort", {{0, "BEGIN;" + feedback(kU1, 1000, 3000)},
                                             {1, feedback(kU2, 90000, 2)},
                                             {0, feedback(kU1, 5000, 2000) + "ROLLBACK;"},
                                             {1, feedback(kU2, 90010, 2)}});
  EXPECT_EQ(live.live, 0u);
  EXPECT_EQ(live.fallbacks, 0u);
}

TEST(LiveApply, ItGivesWayWhenATransactionCommittedBeforeItTouchesItsRows) {
  // The session is created by a transaction that commits while the large one is live; the large
  // one then writes messages into it (their keys meet: apply/live.hpp), so it is applied from
  // its spool at its commit, after the session.
  const auto live = both_ways(
      "live_keys",
      {{0, "BEGIN;" + feedback(kU1, 1000, 3000)},
       {1,
        "INSERT INTO public.chatbot_conversations (id, user_id, conversation_type, created_at, "
        "updated_at) VALUES (" +
            q(kConversation) + ", " + q(kU1) + ", 'trip_planning', '2026-02-01', '2026-02-01');"},
       {0,
        "INSERT INTO public.chatbot_messages (id, conversation_id, role, content, created_at) "
        "SELECT ('d3000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, " +
            q(kConversation) +
            ", 'user', 'm' || i, '2026-02-01'::timestamptz + i * interval '1 s' "
            "FROM generate_series(1, 50) i;" +
            feedback(kU1, 5000, 2000) + "COMMIT;"}});
  EXPECT_EQ(live.live, 0u);
  EXPECT_GE(live.fallbacks, 1u);
}

TEST(LiveApply, ItGivesWayToATransactionThatNeedsALinkItMade) {
  // The large transaction links a user; a small one of that user commits before it. One at a
  // time, the small one's rows wait as unlinked_user letters until the link applies them
  // (rule 3); applied live, the link would come first, unseen by the small transaction, and its
  // letters would stay. The link touches every key (translate/ops.hpp), so it gives way.
  const auto live = both_ways(
      "live_link",
      {{0, "BEGIN;" + feedback(kU1, 1000, 3000) +
               "INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES "
               "('c1000000-0000-4000-8000-000000000003', " +
               q(kU3) + ", 'b1000000-0000-4000-8000-000000000003', '2026-01-02');" +
               feedback(kU1, 5000, 2000)},
       {1, feedback(kU3, 90000, 3)},
       {0, feedback(kU1, 8000, 100) + "COMMIT;"}});
  EXPECT_EQ(live.live, 0u);
  EXPECT_GE(live.fallbacks, 1u);
}

TEST(LiveApply, ALockConflictWithTheMainConnectionMakesItGiveWay) {
  // Both like the same activity: the like merge's unique index makes the small transaction's
  // statement wait for the live one, which waits for it to commit; lock_timeout (300 ms here)
  // ends the wait and the live one is applied from its spool.
  const auto live = both_ways(
      "live_lock", {{0, "BEGIN;" + feedback(kU1, 1000, 1, "like") + feedback(kU1, 2000, 3000)},
                    {1, feedback(kU1, 90000, 1, "like")},
                    {0, feedback(kU1, 5000, 2000) + "COMMIT;"}});
  EXPECT_EQ(live.live, 0u);
  EXPECT_GE(live.fallbacks, 1u);
}

TEST(LiveApply, AnIdleLiveConnectionTheServerEndedIsReplacedNotGivenWayFor) {
  // Between two large transactions the live connection waits idle; a target restart or a wait
  // the supervisor ended (it shuts both apply sockets) ends it unseen. The next large
  // transaction replaces it and still goes live; the supervisor is told each socket.
  TestDatabase db("live_reconnect");  // drops the origin named after it
  const std::string origin = db.name() + "_o";
  const std::string others =
      "SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity "
      "WHERE datname = current_database() AND backend_type = 'client backend' "
      "AND pid <> pg_backend_pid()";
  {
    apply::ApplyStats stats;
    apply::ApplyOptions options;
    options.conninfo = db.conninfo();
    options.origin = origin;
    apply::Applier main(options, stats);
    main.connect();
    const std::string main_pid = db.scalar(others);
    int socket = -2;
    {
      apply::LiveApply live(options, stats, main, 300ms);
      live.on_socket([&](int s) { socket = s; });
      EXPECT_EQ(socket, -1) << "no live connection before the first live transaction";
      ASSERT_TRUE(live.start(100));
      EXPECT_GE(socket, 0);
      live.abort();
      const std::string live_pid = db.scalar(others + " AND pid::text <> '" + main_pid + "'");
      ASSERT_FALSE(live_pid.empty());
      ASSERT_EQ(db.scalar("SELECT pg_terminate_backend(" + live_pid + ", 10000)"), "t");

      ASSERT_TRUE(live.start(101)) << "the ended connection is replaced";
      EXPECT_GE(socket, 0);
      EXPECT_EQ(stats.live_fallbacks.load(), 0u);
      EXPECT_NE(db.scalar(others + " AND pid::text <> '" + main_pid + "'"), "")
          << "a new live session";
      live.abort();
    }
    EXPECT_EQ(socket, -1) << "the socket is withdrawn before it closes";
  }
}

}  // namespace
}  // namespace dualwrite::testing
