// `dualwrite verify` (verify/verify.hpp) on a live PostgreSQL 15.
//
// For: proving that verification finds exactly what differs between the expected-state views
// and the target tables, by key and problem, when the tables are populated (the synthetic
// legacy corpus at scale 0.05, the targets backfilled from the views): clean after the backfill;
// a changed, a deleted and an extra row reported as such, also when the differing segments are
// split down (leaf_rows small) and when source and target are two databases in different time
// zones; unexpected rows that compare_spec ignores left unreported; a mismatch the bridge fixes
// while verify waits for it (in flight) not reported, one it does not fix reported; a bridge that
// never gets there or does not exist leaves the mismatches as drift with a note; the run recorded
// in dualwrite.verify_runs (or a warning when it cannot be); the daemon's VerifyPoller exporting
// the last finished result per table.
// Not for: the expected-state views themselves (tests/integration/expected).
#include "dualwrite/verify/verify.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/config/config.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/verify_poller.hpp"
#include "support/pg_test.hpp"

namespace {

using dualwrite::testing::TestDatabase;
namespace verify = dualwrite::verify;
using std::chrono::milliseconds;

constexpr const auto& kTables = dualwrite::admin::kTargetTables;

// The synthetic legacy corpus (deterministic: the same rows in every database).
void load_legacy(TestDatabase& db) {
  const std::string cmd = std::string("'") + DUALWRITE_PSQL +
                          "' -X -q -v ON_ERROR_STOP=1 -v scale=0.05 -f '" DUALWRITE_SQL_DIR
                          "/fixture/synthetic_data.sql' \"" +
                          db.conninfo() + "\" >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// What bootstrap does: the target tables from the views, in foreign-key order.
void backfill(TestDatabase& db) {
  for (const char* t : kTables) {
    db.exec(std::string("INSERT INTO public.") + t + " SELECT * FROM dualwrite_expected." + t);
  }
}

dualwrite::config::Config config_for(const std::string& source, const std::string& target,
                                     const std::string& name) {
  const std::map<std::string, std::string> env{{"DUALWRITE_SOURCE_CONNINFO", source},
                                               {"DUALWRITE_TARGET_CONNINFO", target},
                                               {"DUALWRITE_SOURCE_SLOT", name},
                                               {"DUALWRITE_SOURCE_ORIGIN", name}};
  return dualwrite::config::load_from_string("", "test",
                                             [&](const char* key) -> const char* {
                                               const auto it = env.find(key);
                                               return it == env.end() ? nullptr
                                                                      : it->second.c_str();
                                             })
      .config;
}

const verify::TableResult& table(const verify::RunResult& r, const std::string& name) {
  for (const auto& t : r.tables) {
    if (t.table == name) return t;
  }
  throw std::runtime_error("no result for " + name);
}

// The n-th (by id) target row of a 'view' interaction: never merged, no unique constraint.
std::string view_interaction(TestDatabase& db, int n) {
  return db.scalar(
      "SELECT id FROM public.activity_interactions WHERE interaction_type = 'view' ORDER BY id "
      "OFFSET " +
      std::to_string(n) + " LIMIT 1");
}

// A replication origin is cluster-wide: dropped whatever the test's outcome.
struct Origin {
  TestDatabase& db;
  std::string name;
  Origin(TestDatabase& d, std::string n) : db(d), name(std::move(n)) {
    db.exec("SELECT pg_replication_origin_create('" + name + "')");
    db.exec("SELECT pg_replication_origin_advance('" + name + "', pg_current_wal_lsn())");
  }
  ~Origin() {
    PQclear(PQexec(db.conn(), ("SELECT pg_replication_origin_drop('" + name + "')").c_str()));
  }
};

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    load_legacy(db_);
    backfill(db_);
  }
  dualwrite::config::Config config() { return config_for(db_.conninfo(), "", db_.name()); }

  TestDatabase db_{"verify"};
};

TEST_F(VerifyTest, CleanWhenTheTablesHoldWhatTheViewsCompute) {
  verify::Options o;
  o.wait = milliseconds(0);
  std::vector<std::string> done;
  o.on_table_done = [&](const verify::TableResult& t) { done.push_back(t.table); };
  const auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->tables.size(), 12u);
  EXPECT_EQ(done, std::vector<std::string>(std::begin(kTables), std::end(kTables)));
  for (const auto& t : r->tables) {
    EXPECT_GT(t.expected, 0) << t.table;
    EXPECT_EQ(t.expected, t.actual) << t.table;
    EXPECT_EQ(t.mismatches, 0) << t.table;
    EXPECT_EQ(t.segments_split, 0) << t.table;
  }
  EXPECT_GT(table(*r, "chat_messages").expected, 4000);
  EXPECT_TRUE(r->clean());
  ASSERT_TRUE(r->run_id);
  EXPECT_EQ(db_.scalar("SELECT concat_ws(' ', clean, mismatches, jsonb_array_length(tables), "
                       "finished_at IS NOT NULL, source_lsn IS NOT NULL, "
                       "tables -> 10 ->> 'table', tables -> 10 ->> 'expected') "
                       "FROM dualwrite.verify_runs WHERE id = " +
                       std::to_string(*r->run_id)),
            "t 0 12 t t chat_messages " + std::to_string(table(*r, "chat_messages").expected));
}

TEST_F(VerifyTest, ReportsChangedDeletedAndExtraRowsByKeyWhileSplittingSegments) {
  const std::string changed = view_interaction(db_, 0);
  const std::string deleted = view_interaction(db_, 1);
  const std::string copied = view_interaction(db_, 2);
  const std::string extra = "7777aaaa-0000-4000-8000-000000000001";
  db_.exec(
      "UPDATE public.activity_interactions SET score_delta = coalesce(score_delta, 0) + 1 "
      "WHERE id = '" +
      changed + "'");
  db_.exec("DELETE FROM public.activity_interactions WHERE id = '" + deleted + "'");
  db_.exec("INSERT INTO public.activity_interactions SELECT '" + extra +
           "', account_id, activity_id, activity_slug, interaction_type, source_session_id, "
           "score_delta, metadata, created_at FROM public.activity_interactions WHERE id = '" +
           copied + "'");
  // Unexpected rows compare_spec does not report: an account no link points at, a source of
  // another type.
  db_.exec("INSERT INTO public.accounts (id) VALUES ('7777aaaa-0000-4000-8000-000000000002')");
  db_.exec(
      "INSERT INTO public.interaction_sources (id, source_type, context) "
      "VALUES ('7777aaaa-0000-4000-8000-000000000003', 'quiz', '{}')");

  std::vector<verify::Mismatch> want{{changed, verify::Problem::different},
                                     {deleted, verify::Problem::missing},
                                     {extra, verify::Problem::extra}};
  std::sort(want.begin(), want.end(),
            [](const verify::Mismatch& a, const verify::Mismatch& b) { return a.key < b.key; });

  // Segments of ~19 rows split while above 4 rows: every mismatch is found a level or two down.
  verify::Options o;
  o.wait = milliseconds(0);
  o.leaf_rows = 4;
  o.max_listed = 2;
  auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  const auto& ai = table(*r, "activity_interactions");
  EXPECT_EQ(ai.mismatches, 3);
  EXPECT_EQ(ai.expected, ai.actual);  // one deleted, one extra: the counts alone agree
  EXPECT_GT(ai.segments_split, 0);
  EXPECT_GE(ai.leaves_fetched, 3);
  EXPECT_EQ(ai.listed, std::vector<verify::Mismatch>(want.begin(), want.begin() + 2));
  EXPECT_EQ(r->mismatches, 3);
  for (const auto& t : r->tables) {
    if (t.table != "activity_interactions") {
      EXPECT_EQ(t.mismatches, 0) << t.table;
    }
  }
  EXPECT_EQ(table(*r, "accounts").actual, table(*r, "accounts").expected + 1);
  EXPECT_EQ(table(*r, "interaction_sources").actual, table(*r, "interaction_sources").expected + 1);
  EXPECT_FALSE(r->clean());
  EXPECT_EQ(db_.scalar("SELECT concat_ws(' ', clean, mismatches) FROM dualwrite.verify_runs "
                       "WHERE id = " +
                       std::to_string(*r->run_id)),
            "f 3");

  // The default segment size: no split, the same answer; key lists read 3 rows at a time.
  o = verify::Options{};
  o.wait = milliseconds(0);
  o.fetch_rows = 3;
  o.tables = {"activity_interactions"};
  r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->tables.size(), 1u);
  EXPECT_EQ(r->tables[0].listed, want);
  EXPECT_EQ(r->tables[0].segments_split, 0);

  // The daemon's poller exports the latest finished run per table: activity_interactions from
  // the run just made, the others from the first run.
  dualwrite::ops::Metrics metrics("test");
  dualwrite::ops::VerifyPoller poller({db_.conninfo(), "", milliseconds(30'000)}, metrics);
  const auto polled = poller.poll_once();
  ASSERT_TRUE(polled) << polled.error().message;
  EXPECT_EQ(polled->size(), 12u);
  const auto text = metrics.exposition();
  EXPECT_NE(text.find("dualwrite_verify_mismatches{table=\"activity_interactions\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dualwrite_verify_mismatches{table=\"chat_messages\"} 0"), std::string::npos);
}

TEST_F(VerifyTest, AMismatchTheBridgeAppliesWhileVerifyWaitsIsNotReported) {
  Origin origin(db_, db_.name());
  // In flight: a legacy change the bridge has not applied yet (the expected side moved).
  const std::string legacy = db_.scalar(
      "SELECT legacy_id FROM dualwrite_expected._feedback WHERE feedback_type = 'view' "
      "ORDER BY legacy_id LIMIT 1");
  const std::string in_flight =
      db_.scalar("SELECT id FROM dualwrite_expected._feedback WHERE legacy_id = " + legacy);
  db_.exec("UPDATE public.activity_feedback SET score = coalesce(score, 0) + 1 WHERE id = " +
           legacy);
  // Drift: a target row changed behind the bridge's back.
  const std::string tampered = view_interaction(db_, 5);
  ASSERT_NE(tampered, in_flight);
  db_.exec(
      "UPDATE public.activity_interactions SET metadata = metadata || '{\"x\": 1}' "
      "WHERE id = '" +
      tampered + "'");

  // While verify waits, "the bridge" applies the change and moves its origin past the position.
  std::thread bridge;
  int waits = 0;
  dualwrite::Lsn waited_for;
  verify::Options o;
  o.wait = milliseconds(30'000);
  o.tables = {"activity_interactions"};
  o.on_wait = [&](const std::string& t, dualwrite::Lsn position) {
    ++waits;
    waited_for = position;
    EXPECT_EQ(t, "activity_interactions");
    bridge = std::thread([&, position] {
      std::this_thread::sleep_for(milliseconds(300));
      PGconn* c = PQconnectdb(db_.conninfo().c_str());
      const std::string sql =
          "UPDATE public.activity_interactions a SET score_delta = e.score_delta "
          "FROM dualwrite_expected.activity_interactions e WHERE e.id = a.id AND a.id = '" +
          in_flight + "'; SELECT pg_replication_origin_advance('" + origin.name + "', '" +
          position.to_string() + "')";
      PGresult* res = PQexec(c, sql.c_str());
      EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQerrorMessage(c);
      PQclear(res);
      PQfinish(c);
    });
  };
  const auto started = std::chrono::steady_clock::now();
  const auto r = verify::run(config(), o);
  if (bridge.joinable()) bridge.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(waits, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(300));
  const auto& ai = table(*r, "activity_interactions");
  EXPECT_EQ(ai.first_look, 2);
  EXPECT_EQ(ai.mismatches, 1);
  EXPECT_EQ(ai.listed, (std::vector<verify::Mismatch>{{tampered, verify::Problem::different}}));
  EXPECT_FALSE(ai.note) << *ai.note;
  ASSERT_TRUE(r->applied_lsn);
  EXPECT_GE(*r->applied_lsn, waited_for);
}

TEST_F(VerifyTest, ABridgeThatDoesNotGetThereInTimeLeavesTheMismatchesAsDrift) {
  Origin origin(db_, db_.name());  // exists, but nothing advances it
  const std::string changed = view_interaction(db_, 3);
  db_.exec(
      "UPDATE public.activity_interactions SET score_delta = coalesce(score_delta, 0) + 1 "
      "WHERE id = '" +
      changed + "'");
  const std::string session = db_.scalar("SELECT id FROM public.chat_sessions ORDER BY id LIMIT 1");
  db_.exec("UPDATE public.chat_sessions SET metadata = metadata || '{\"x\": 1}' WHERE id = '" +
           session + "'");
  int waits = 0;
  verify::Options o;
  o.wait = milliseconds(300);
  o.on_wait = [&](const std::string&, dualwrite::Lsn) { ++waits; };
  const auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->mismatches, 2);
  EXPECT_EQ(waits, 1);  // once the bridge has missed a deadline, later tables look once
  for (const char* name : {"activity_interactions", "chat_sessions"}) {
    const auto& t = table(*r, name);
    EXPECT_EQ(t.mismatches, 1) << name;
    ASSERT_TRUE(t.note) << name;
    // No daemon holds a slot: the note says so.
    EXPECT_NE(t.note->find("the bridge is not running (no daemon on slot " + db_.name() +
                           ") and did not apply past " + t.position.to_string()),
              std::string::npos)
        << *t.note;
    EXPECT_NE(t.note->find("may be in flight"), std::string::npos);
  }
  EXPECT_EQ(table(*r, "chat_sessions").listed,
            (std::vector<verify::Mismatch>{{session, verify::Problem::different}}));
}

TEST_F(VerifyTest, AStoppedBridgeEndsTheWaitEarly) {
  Origin origin(db_, db_.name());
  db_.exec("SELECT pg_create_logical_replication_slot('" + db_.name() + "', 'pgoutput')");
  struct DropSlot {
    TestDatabase& db;
    ~DropSlot() {
      PQclear(PQexec(db.conn(), ("SELECT pg_drop_replication_slot('" + db.name() + "')").c_str()));
    }
  } drop{db_};
  const std::string changed = view_interaction(db_, 2);
  db_.exec(
      "UPDATE public.activity_interactions SET score_delta = coalesce(score_delta, 0) + 1 "
      "WHERE id = '" +
      changed + "'");
  verify::Options o;
  o.wait = milliseconds(120'000);
  o.stopped_after = milliseconds(1'000);
  o.tables = {"activity_interactions"};
  const auto started = std::chrono::steady_clock::now();
  const auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(60'000));
  const auto& ai = table(*r, "activity_interactions");
  EXPECT_EQ(ai.listed, (std::vector<verify::Mismatch>{{changed, verify::Problem::different}}));
  ASSERT_TRUE(ai.note);
  EXPECT_NE(ai.note->find("the bridge is not running"), std::string::npos) << *ai.note;
  EXPECT_NE(ai.note->find("start the daemon and verify again"), std::string::npos) << *ai.note;
}

TEST_F(VerifyTest, WithoutABridgeThereIsNothingToWaitFor) {
  const std::string deleted = view_interaction(db_, 4);
  db_.exec("DELETE FROM public.activity_interactions WHERE id = '" + deleted + "'");
  int waits = 0;
  verify::Options o;
  o.wait = milliseconds(120'000);
  o.tables = {"activity_interactions", "chat_messages"};
  o.on_wait = [&](const std::string&, dualwrite::Lsn) { ++waits; };
  const auto started = std::chrono::steady_clock::now();
  const auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(60'000));
  EXPECT_EQ(waits, 0);
  const auto& ai = table(*r, "activity_interactions");
  EXPECT_EQ(ai.listed, (std::vector<verify::Mismatch>{{deleted, verify::Problem::missing}}));
  ASSERT_TRUE(ai.note);
  EXPECT_NE(ai.note->find("no bridge found"), std::string::npos) << *ai.note;
  EXPECT_FALSE(table(*r, "chat_messages").note);
}

// The catalog rule (mapping.md, "activities"): verify compares with today's catalog, so rows a
// slug entered after are drift until the bridge links them, and clean once linked as the stream
// does (activity_put: the catalog id by slug).
TEST_F(VerifyTest, RowsLeftUnlinkedAfterTheirSlugEnteredTheCatalogAreDrift) {
  // A retired slug of the corpus: named by interactions and items, absent from the catalog.
  const std::string slug = db_.scalar(
      "SELECT activity_slug FROM public.activity_interactions WHERE activity_id IS NULL "
      "AND activity_slug IN (SELECT activity_slug FROM public.recommendation_items "
      "WHERE activity_id IS NULL) GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1");
  ASSERT_FALSE(slug.empty());
  const int interactions = std::stoi(db_.scalar(
      "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = '" + slug + "'"));
  const int items = std::stoi(db_.scalar(
      "SELECT count(*) FROM public.recommendation_items WHERE activity_slug = '" + slug + "'"));
  ASSERT_GT(interactions, 0);
  ASSERT_GT(items, 0);
  db_.exec("INSERT INTO public.activities (slug, title) VALUES ('" + slug + "', 'Back')");

  verify::Options o;
  o.wait = milliseconds(0);
  o.tables = {"activity_interactions", "recommendation_items", "chat_messages"};
  auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(table(*r, "activity_interactions").mismatches, interactions);
  EXPECT_EQ(table(*r, "recommendation_items").mismatches, items);
  EXPECT_EQ(table(*r, "chat_messages").mismatches, 0);
  for (const char* name : {"activity_interactions", "recommendation_items"}) {
    for (const auto& m : table(*r, name).listed) {
      EXPECT_EQ(m.problem, verify::Problem::different) << name << " " << m.key;
    }
  }

  for (const char* t : {"activity_interactions", "recommendation_items"}) {
    db_.exec(std::string("UPDATE public.") + t +
             " x SET activity_id = a.id FROM public.activities a WHERE a.slug = x.activity_slug "
             "AND x.activity_id IS NULL");
  }
  r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->clean()) << r->mismatches;
}

TEST_F(VerifyTest, UnknownTableIsAUsageError) {
  verify::Options o;
  o.tables = {"chat_messages", "account_linkages"};
  const auto r = verify::run(config(), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().domain, dualwrite::ErrorDomain::usage);
  EXPECT_NE(r.error().message.find("unknown table 'account_linkages' in --tables (one of: "
                                   "accounts, account_user_links,"),
            std::string::npos)
      << r.error().message;
}

TEST_F(VerifyTest, ARunThatCannotBeRecordedIsAWarning) {
  db_.exec("ALTER TABLE dualwrite.verify_runs RENAME TO verify_runs_elsewhere");
  verify::Options o;
  o.wait = milliseconds(0);
  o.tables = {"chat_summaries"};
  const auto r = verify::run(config(), o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->clean());
  EXPECT_FALSE(r->run_id);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("cannot record the run in dualwrite.verify_runs"),
            std::string::npos);

  dualwrite::ops::Metrics metrics("test");
  dualwrite::ops::VerifyPoller poller({db_.conninfo(), "", milliseconds(30'000)}, metrics);
  EXPECT_FALSE(poller.poll_once());
  EXPECT_NE(metrics.exposition().find("dualwrite_errors_total{stage=\"verify_poll\"} 1"),
            std::string::npos);
}

TEST(VerifyPoller, ExportsTheLatestFinishedRunPerTable) {
  TestDatabase db("verify_poller");
  db.exec(R"SQL(
INSERT INTO dualwrite.verify_runs (started_at, finished_at, tables, mismatches, clean) VALUES
  ('2026-01-01', '2026-01-01 00:10', '[{"table": "accounts", "mismatches": 3},
                                       {"table": "chat_messages", "mismatches": 1}]', 4, false),
  ('2026-01-02', '2026-01-02 00:10', '[{"table": "accounts", "mismatches": 0}]', 0, true),
  ('2026-01-03', NULL, '[{"table": "accounts", "mismatches": 9}]', NULL, NULL))SQL");
  dualwrite::ops::Metrics metrics("test");
  dualwrite::ops::VerifyPoller poller({db.conninfo(), "", milliseconds(30'000)}, metrics);
  const auto polled = poller.poll_once();
  ASSERT_TRUE(polled) << polled.error().message;
  const auto text = metrics.exposition();
  EXPECT_NE(text.find("dualwrite_verify_mismatches{table=\"accounts\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("dualwrite_verify_mismatches{table=\"chat_messages\"} 1"), std::string::npos);
}

// Source and target in two databases, whose sessions print timestamps in different time zones:
// the expected side is read from the source, the real tables from the target only.
TEST(VerifyTwoDatabases, ComparesTheSourceViewsWithTheTargetTables) {
  TestDatabase source("verify_src");
  TestDatabase target("verify_tgt");
  load_legacy(source);
  load_legacy(target);
  backfill(target);  // the source's own target tables stay empty
  source.exec("ALTER DATABASE " + source.name() + " SET TimeZone = 'America/New_York'");
  target.exec("ALTER DATABASE " + target.name() + " SET TimeZone = 'Asia/Tokyo'");
  const auto cfg = config_for(source.conninfo(), target.conninfo(), source.name());
  verify::Options o;
  o.wait = milliseconds(0);
  auto r = verify::run(cfg, o);
  ASSERT_TRUE(r) << r.error().message;
  for (const auto& t : r->tables) {
    EXPECT_GT(t.actual, 0) << t.table;
    EXPECT_EQ(t.mismatches, 0) << t.table;
  }
  ASSERT_TRUE(r->run_id);
  EXPECT_EQ(target.scalar("SELECT count(*) FROM dualwrite.verify_runs"), "1");
  EXPECT_EQ(source.scalar("SELECT count(*) FROM dualwrite.verify_runs"), "0");

  // A legacy change on the source only.
  const std::string legacy = source.scalar(
      "SELECT legacy_id FROM dualwrite_expected._feedback WHERE feedback_type = 'view' "
      "ORDER BY legacy_id LIMIT 1");
  const std::string key =
      source.scalar("SELECT id FROM dualwrite_expected._feedback WHERE legacy_id = " + legacy);
  source.exec("UPDATE public.activity_feedback SET score = coalesce(score, 0) + 1 WHERE id = " +
              legacy);
  r = verify::run(cfg, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->mismatches, 1);
  EXPECT_EQ(table(*r, "activity_interactions").listed,
            (std::vector<verify::Mismatch>{{key, verify::Problem::different}}));
}

TEST(VerifyErrors, AnUnreachableSourceIsASourceError) {
  const auto cfg = config_for("host=/nonexistent dbname=x", "", "dw");
  const auto r = verify::run(cfg, verify::Options{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().domain, dualwrite::ErrorDomain::source);
  EXPECT_EQ(r.error().message.rfind("source: cannot connect", 0), 0u) << r.error().message;
}

}  // namespace
