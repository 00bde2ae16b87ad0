// peek and replay on a real PostgreSQL 15. Changes are applied by the bridge harness, which
// reads the slot without confirming it: the slot keeps them, as the replay window does for the
// daemon. Then: which transactions a range selects (by their end, inclusive), a replay that
// repairs exactly its range, a replay run twice that changes nothing, a rehearsal database that
// ends with the same rows, a rejected batch replayed change by change, peek showing the pending
// changes (bounded reads, nothing consumed), and both refusing a slot that is in use.
#include "dualwrite/admin/replay.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bridge_harness.hpp"
#include "dualwrite/admin/peek.hpp"
#include "dualwrite/admin/slot_reader.hpp"
#include "dualwrite/stream/replication.hpp"

namespace dualwrite::testing {
namespace {

constexpr const char* kU1 = "a0000000-0000-4000-8000-000000000001";
constexpr const char* kU2 = "a0000000-0000-4000-8000-000000000002";
constexpr const char* kA1 = "b0000000-0000-4000-8000-000000000001";
constexpr const char* kConv = "e0000000-0000-4000-8000-000000000001";
constexpr const char* kConv2 = "e0000000-0000-4000-8000-000000000002";

std::string s(const char* text) {
  return text;
}

Lsn lsn(const std::string& text) {
  auto l = Lsn::parse(text);
  if (!l) throw std::runtime_error("not an LSN: " + text);
  return *l;
}

struct Commit {
  Lsn commit;
  Lsn end;
};

// Rows of the target tables and the dead letters (without ids, times and attempts), sorted.
std::vector<std::string> target_rows(TestDatabase& db) {
  std::vector<std::string> out = dualwrite::testing::target_table_rows(db);
  for (auto& row : db.rows("SELECT concat_ws(' ', source_table, operation, reason, lsn, xid, "
                           "old_key, new_row, resolved_at IS NOT NULL) r "
                           "FROM dualwrite.dead_letters ORDER BY r")) {
    out.push_back("dead_letter: " + row);
  }
  return out;
}

class Replay : public ::testing::Test {
 protected:
  Replay() : db_("replay"), bridge_(db_) {
    reference_data(db_);
    slot_.slot = db_.name();
    slot_.publication = "dualwrite_legacy";
    source_ = apply::Connection::open(db_.conninfo());
  }

  // What the target needs beside the replicated tables: users and the activity catalog.
  static void reference_data(TestDatabase& db) {
    db.exec("INSERT INTO auth.users (id, email) VALUES ('" + s(kU1) + "', 'u1@x'), ('" + s(kU2) +
            "', 'u2@x')");
    db.exec(
        "INSERT INTO public.activities (id, slug, title, is_published) VALUES "
        "('f0000000-0000-4000-8000-000000000001', 'surf', 'Surf', true), "
        "('f0000000-0000-4000-8000-000000000002', 'hike', 'Hike', true)");
  }

  void link() {
    db_.exec("INSERT INTO account_linkages (user_id, account_id) VALUES ('" + s(kU1) + "', '" +
             s(kA1) + "')");
  }
  void feedback(const char* user, const char* slug, const char* type, const char* score = "1") {
    db_.exec(
        "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, score) VALUES "
        "('" +
        s(user) + "', '" + slug + "', '" + type + "', " + score + ")");
  }

  // Every transaction the slot holds, in commit order: (commit_lsn, end_lsn).
  std::vector<Commit> commits() {
    std::vector<Commit> out;
    for (const auto& row : db_.rows(
             "SELECT ('0/0'::pg_lsn + ('x' || encode(substring(data from 3 for 8), 'hex'))::bit(64)"
             "::bigint)::text || '|' || lsn::text FROM pg_logical_slot_peek_binary_changes('" +
             db_.name() +
             "', NULL, NULL, 'proto_version', '1', 'publication_names', 'dualwrite_legacy') "
             "WHERE get_byte(data, 0) = 67")) {
      const auto bar = row.find('|');
      out.push_back({lsn(row.substr(0, bar)), lsn(row.substr(bar + 1))});
    }
    return out;
  }
  std::string slot_positions() {
    return db_.scalar(
        "SELECT confirmed_flush_lsn || ' ' || restart_lsn FROM "
        "pg_replication_slots WHERE slot_name = '" +
        db_.name() + "'");
  }
  Lsn oldest() {
    return lsn(
        db_.scalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
                   db_.name() + "'"));
  }
  std::string origin() { return db_.name() + "_dualwrite"; }
  Lsn applied() {
    return lsn(db_.scalar("SELECT pg_replication_origin_progress('" + origin() + "', true)"));
  }

  admin::TransactionSpan span(Lsn from, Lsn to) {
    auto r = admin::transactions_ending_in(source_, slot_, from, to);
    if (!r) throw std::runtime_error(r.error().message);
    return *r;
  }
  admin::ReplayReport replay(Lsn from, Lsn to, const std::string& conninfo = "") {
    const auto sp = span(from, to);
    apply::ApplyOptions options;
    options.conninfo = conninfo.empty() ? db_.conninfo() : conninfo;
    options.origin = "must be ignored";
    auto r = admin::replay(source_, slot_, {from, to}, sp, options, {});
    if (!r) throw std::runtime_error(r.error().message);
    return *r;
  }

  TestDatabase db_;
  Bridge bridge_;
  admin::SlotReaderOptions slot_;
  apply::Connection source_;
};

TEST_F(Replay, RangesSelectTransactionsByTheirEndInclusively) {
  link();
  feedback(kU1, "surf", "view");
  feedback(kU1, "hike", "view");
  feedback(kU1, "surf", "dislike");
  bridge_.pump();
  const auto c = commits();
  ASSERT_EQ(c.size(), 5u);  // the catalog, the link, then T1..T3
  const auto& t1 = c[2];
  const auto& t2 = c[3];
  const auto& t3 = c[4];

  EXPECT_EQ(span(t1.end, t3.end).transactions, 3u) << "a range starting at an end includes it";
  const auto only_t2 = span(t2.commit, t2.end);
  EXPECT_EQ(only_t2.transactions, 1u);
  EXPECT_EQ(only_t2.first_commit, t2.commit);
  EXPECT_EQ(only_t2.last_end, t2.end);
  EXPECT_EQ(span(t2.commit, t3.commit).transactions, 1u) << "T3 ends after its commit LSN";
  EXPECT_EQ(span(t1.end + 1, t2.commit).transactions, 0u);
  EXPECT_EQ(span(t1.end, t1.end).transactions, 1u);
}

TEST_F(Replay, ARangeRepairsExactlyWhatItsTransactionsWrote) {
  link();
  feedback(kU1, "surf", "view");
  feedback(kU1, "hike", "view");
  feedback(kU1, "surf", "dislike");
  bridge_.pump();
  const auto c = commits();
  ASSERT_EQ(c.size(), 5u);  // the catalog, the link, then T1..T3
  const auto before = target_rows(db_);
  const auto positions = slot_positions();
  const auto progress = applied();

  db_.exec("DELETE FROM public.activity_interactions");  // drift on the target
  auto report = replay(c[3].commit, c[3].end);
  EXPECT_EQ(report.transactions, 1u);
  EXPECT_EQ(report.changes, 1u);
  EXPECT_EQ(report.first_end, c[3].end);
  EXPECT_EQ(db_.scalar("SELECT string_agg(activity_slug || ' ' || interaction_type, ',') FROM "
                       "public.activity_interactions"),
            "hike view");

  report = replay(oldest(), progress);
  EXPECT_EQ(report.transactions, 5u);
  EXPECT_EQ(target_rows(db_), before);
  EXPECT_EQ(slot_positions(), positions) << "a replay never moves the slot";
  EXPECT_EQ(applied(), progress) << "nor the bridge's origin";
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM pg_replication_origin WHERE roname = 'must be "
                       "ignored'"),
            "0")
      << "a replay runs without an origin";
}

TEST_F(Replay, ReplayingTwiceChangesNothingAndARehearsalGetsTheSameRows) {
  link();
  feedback(kU1, "surf", "like", "2");
  feedback(kU1, "hike", "view", "3");
  feedback(kU1, "surf", "bogus");  // unknown_enum_value
  feedback(kU2, "hike", "like");   // unlinked_user
  db_.exec("UPDATE activity_feedback SET score = 9 WHERE feedback_type = 'view'");
  db_.exec("DELETE FROM activity_feedback WHERE feedback_type = 'like' AND user_id = '" + s(kU1) +
           "'");
  db_.exec("INSERT INTO user_attributes (user_id, display_name, locale, preferences) VALUES ('" +
           s(kU1) + "', 'Ana', 'pt-PT', '{\"theme\": \"dark\"}')");
  db_.exec("INSERT INTO offline_likes (user_id, activity_slug, payload) VALUES ('" + s(kU1) +
           "', 'surf', '{\"liked\": true}')");
  db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type, context) VALUES ('" +
           s(kConv) + "', '" + s(kU1) + "', 'support', '{}'), ('" + s(kConv2) + "', '" + s(kU2) +
           "', 'support', '{}')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) VALUES ('" + s(kConv) +
           "', 'user', 'hi'), ('" + s(kConv2) + "', 'user', 'orphan')");  // missing_parent
  db_.exec("INSERT INTO conversation_context (conversation_id, summary) VALUES ('" + s(kConv) +
           "', 'greeting')");
  bridge_.pump();
  const auto before = target_rows(db_);
  const auto letters = db_.scalar("SELECT count(*) FROM dualwrite.dead_letters");
  ASSERT_GE(std::stoi(letters), 3);
  const auto positions = slot_positions();
  const auto progress = applied();
  const auto held = commits().size();

  for (int round = 0; round < 2; ++round) {
    auto report = replay(oldest(), progress);
    EXPECT_EQ(report.transactions, held);
    EXPECT_GE(report.dead_letters, 3u);
    EXPECT_EQ(report.new_dead_letters, 0u) << "letters are de-duplicated by source position";
    EXPECT_EQ(target_rows(db_), before) << "round " << round;
    EXPECT_EQ(db_.scalar("SELECT count(*) FROM dualwrite.dead_letters"), letters);
  }
  EXPECT_EQ(slot_positions(), positions);
  EXPECT_EQ(applied(), progress);

  // A rehearsal: a fresh database with the same reference data gets the same rows.
  TestDatabase rehearsal("replay_rehearsal");
  reference_data(rehearsal);
  auto report = replay(oldest(), progress, rehearsal.conninfo());
  EXPECT_EQ(report.transactions, held);
  EXPECT_EQ(std::to_string(report.new_dead_letters), letters);
  EXPECT_EQ(target_rows(rehearsal), before);
}

TEST_F(Replay, ABatchTheTargetRejectsIsReplayedChangeByChange) {
  link();
  feedback(kU1, "surf", "view", "1");
  feedback(kU1, "hike", "view", "60");
  feedback(kU1, "surf", "dislike", "2");
  bridge_.pump();
  // The target now refuses what it accepted then (a constraint added later).
  db_.exec(
      "ALTER TABLE public.activity_interactions ADD CONSTRAINT replay_test_small "
      "CHECK (score_delta IS NULL OR score_delta < 50) NOT VALID");
  db_.exec("DELETE FROM public.activity_interactions WHERE activity_slug = 'surf'");
  auto report = replay(oldest(), applied());
  EXPECT_EQ(report.careful_batches, 1u);
  EXPECT_EQ(report.transactions, 5u);  // the catalog, the link, the three feedback rows
  EXPECT_EQ(report.new_dead_letters, 1u);
  EXPECT_EQ(db_.scalar("SELECT reason || ' ' || (new_row->>'score') FROM dualwrite.dead_letters"),
            "apply_error 60.000");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.activity_interactions WHERE activity_slug = "
                       "'surf'"),
            "2")
      << "the other changes of the rejected batch were applied";
}

TEST_F(Replay, PeekShowsPendingChangesAndConsumesNothing) {
  link();
  for (int i = 0; i < 40; ++i) feedback(kU1, i % 2 ? "surf" : "hike", "view");
  bridge_.pump();
  feedback(kU1, "surf", "like");
  feedback(kU1, "hike", "bogus");
  db_.exec("DELETE FROM activity_feedback WHERE id = 3");
  const std::string liked = db_.scalar("SELECT max(id) - 1 FROM activity_feedback");
  const auto positions = slot_positions();

  admin::PeekOptions options;
  options.limit = 2;
  options.applied = applied();
  std::vector<admin::PeekedTransaction> seen;
  auto collect = [&](const admin::PeekedTransaction& t) { seen.push_back(t); };
  auto summary = admin::peek(source_, slot_, options, collect);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->changes, 2u);
  EXPECT_TRUE(summary->more);
  EXPECT_EQ(summary->applied_skipped, 42u);  // the catalog, the link, 40 views
  EXPECT_GE(summary->passes, 2) << "the first read is sized for the limit, not the whole slot";
  ASSERT_EQ(seen.size(), 2u);
  const auto& like = seen[0].changes.at(0);
  EXPECT_EQ(like.table, translate::LegacyTable::activity_feedback);
  EXPECT_EQ(like.op, translate::Operation::insert);
  ASSERT_EQ(like.key.size(), 1u);
  EXPECT_EQ(like.key[0].first + "=" + like.key[0].second, "id=" + liked);
  ASSERT_EQ(like.writes.size(), 1u);
  EXPECT_EQ(like.writes[0].kind, translate::OpKind::feedback_insert);
  EXPECT_FALSE(seen[0].applied);
  EXPECT_TRUE(seen[0].end_lsn.is_valid());
  const auto& bogus = seen[1].changes.at(0);
  ASSERT_TRUE(bogus.dead_letter.has_value());
  EXPECT_EQ(bogus.dead_letter->reason, translate::DeadLetterReason::unknown_enum_value);
  EXPECT_TRUE(bogus.writes.empty());

  seen.clear();
  options.limit = 100;
  summary = admin::peek(source_, slot_, options, collect);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->changes, 3u);
  EXPECT_FALSE(summary->more);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].changes.at(0).op, translate::Operation::delete_);
  EXPECT_EQ(seen[2].changes.at(0).key.at(0).second, "3");
  EXPECT_EQ(seen[2].changes.at(0).writes.at(0).kind, translate::OpKind::feedback_delete);

  seen.clear();
  options.include_applied = true;
  summary = admin::peek(source_, slot_, options, collect);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->changes, 46u);  // the catalog transaction holds two rows
  EXPECT_EQ(summary->applied_skipped, 0u);
  ASSERT_EQ(seen.size(), 45u);
  EXPECT_TRUE(seen[41].applied);
  EXPECT_FALSE(seen[42].applied);

  EXPECT_EQ(slot_positions(), positions) << "peek moved the slot";
  EXPECT_EQ(bridge_.pump(), 3) << "the peeked changes are still there to apply";
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM dualwrite.dead_letters WHERE reason = "
                       "'unknown_enum_value'"),
            "1");
}

TEST_F(Replay, ASlotInUseIsRefusedWithOneLine) {
  link();
  auto repl = stream::ReplicationConnection::connect(db_.conninfo());
  ASSERT_TRUE(repl.ok()) << repl.error().message;
  stream::StartOptions start;
  start.slot = db_.name();
  start.publications = {"dualwrite_legacy"};
  start.proto_version = 1;
  ASSERT_TRUE(repl->start_replication(start).ok());

  auto checked = admin::check_idle_slot(source_, db_.name(), "peek");
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().domain, ErrorDomain::usage);
  const std::string& message = checked.error().message;
  EXPECT_EQ(message.find("slot " + db_.name() + " is in use by the running daemon (walsender pid "),
            0u)
      << message;
  EXPECT_NE(message.find("stop it (systemctl stop dualwrite) to peek/replay"), std::string::npos);
  EXPECT_EQ(message.find('\n'), std::string::npos);

  // The daemon may also start between that check and the read.
  auto summary = admin::peek(source_, slot_, {}, [](const admin::PeekedTransaction&) {});
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().domain, ErrorDomain::usage);
  EXPECT_NE(summary.error().message.find("is in use by"), std::string::npos)
      << summary.error().message;
  auto sp = admin::transactions_ending_in(source_, slot_, oldest(), Lsn::max() - 1);
  ASSERT_FALSE(sp.ok());
  EXPECT_NE(sp.error().message.find("is in use by"), std::string::npos) << sp.error().message;
}

}  // namespace
}  // namespace dualwrite::testing
