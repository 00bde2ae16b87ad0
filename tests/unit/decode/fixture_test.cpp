// The fixtures captured from PostgreSQL 15 decode completely and to the values the capture
// script wrote (tests/fixtures/pgoutput/capture): relation schemas, column values, unicode,
// unchanged TOAST, key-changing updates, deletes, truncates, logical messages, origins, types,
// and streamed transactions whose xids agree between Stream Start, the changes and Stream
// Commit/Abort.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dualwrite/decode/json.hpp"
#include "fixtures.hpp"

namespace dualwrite::decode {
namespace {

using testing::Fixture;
using testing::load_fixture;

std::map<char, int> count_by_tag(const Fixture& f) {
  std::map<char, int> counts;
  for (const auto& m : f.messages) ++counts[tag_of(m->message)];
  return counts;
}

// Column name -> text value ("<null>", "<unchanged>") of a tuple of relation `r`.
std::map<std::string, std::string> row(const Relation& r, const TupleData& t) {
  std::map<std::string, std::string> out;
  EXPECT_EQ(r.columns.size(), t.columns.size()) << r.relation_name;
  for (std::size_t i = 0; i < t.columns.size() && i < r.columns.size(); ++i) {
    const auto& v = t.columns[i];
    out[r.columns[i].name] = v.kind == TupleValue::Kind::null              ? "<null>"
                             : v.kind == TupleValue::Kind::unchanged_toast ? "<unchanged>"
                                                                           : std::string(v.data);
  }
  return out;
}

// The row changes of a fixture, with their relation resolved.
struct Change {
  char tag;
  const Relation* relation;
  const Message* message;
};

class DmlFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fixture_ = load_fixture(GetParam());
    ASSERT_EQ(fixture_.messages.size(), 61u);
    for (const auto& m : fixture_.messages) {
      relations_.observe(m->message);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Insert> || std::is_same_v<T, Update> ||
                          std::is_same_v<T, Delete>) {
              const Relation* r = relations_.find(v.relation_id);
              ASSERT_NE(r, nullptr) << "row change before its Relation at line " << m->line;
              changes_.push_back({tag_of(m->message), r, &m->message});
            }
          },
          m->message);
    }
  }
  std::vector<const Change*> changes_of(const std::string& table, char tag) const {
    std::vector<const Change*> out;
    for (const auto& c : changes_) {
      if (c.relation->relation_name == table && c.tag == tag) out.push_back(&c);
    }
    return out;
  }

  Fixture fixture_;
  RelationMap relations_;
  std::vector<Change> changes_;
};

TEST_P(DmlFixture, HasEveryNonStreamedMessageKind) {
  const std::map<char, int> expected = {{'B', 10}, {'C', 10}, {'D', 2}, {'I', 14}, {'M', 2},
                                        {'O', 1},  {'R', 13}, {'T', 2}, {'U', 5},  {'Y', 2}};
  EXPECT_EQ(count_by_tag(fixture_), expected);
  for (const auto& m : fixture_.messages) EXPECT_FALSE(m->context.in_streamed_block);
}

TEST_P(DmlFixture, RelationsDescribeTheLegacyTables) {
  std::set<std::string> names;
  for (const auto& m : fixture_.messages) {
    if (const auto* r = std::get_if<Relation>(&m->message)) {
      EXPECT_EQ(r->namespace_name, "public");
      EXPECT_EQ(r->replica_identity, ReplicaIdentity::default_);
      EXPECT_EQ(r->xid, std::nullopt);
      names.insert(r->relation_name);
    }
  }
  const std::set<std::string> expected = {
      "account_linkages", "user_attributes",      "account_metadata",    "activities",
      "ai_suggestions",   "activity_feedback",    "offline_likes",       "chatbot_conversations",
      "chatbot_messages", "conversation_context", "decode_fixture_typed"};
  EXPECT_EQ(names, expected);

  const auto inserts = changes_of("offline_likes", 'I');
  ASSERT_EQ(inserts.size(), 1u);
  const Relation& likes = *inserts[0]->relation;
  ASSERT_GE(likes.columns.size(), 5u);
  EXPECT_EQ(likes.columns[0].name, "user_id");
  EXPECT_TRUE(likes.columns[0].is_key());
  EXPECT_EQ(likes.columns[0].type_oid, 2950u);  // uuid
  EXPECT_EQ(likes.columns[1].name, "activity_slug");
  EXPECT_TRUE(likes.columns[1].is_key());     // composite primary key
  EXPECT_EQ(likes.columns[1].type_oid, 25u);  // text
  EXPECT_EQ(likes.columns[3].name, "payload");
  EXPECT_FALSE(likes.columns[3].is_key());
  EXPECT_EQ(likes.columns[3].type_oid, 3802u);  // jsonb
  EXPECT_EQ(likes.columns[3].type_modifier, -1);
}

TEST_P(DmlFixture, InsertsCarryTheWrittenValues) {
  const auto attrs = changes_of("user_attributes", 'I');
  ASSERT_EQ(attrs.size(), 1u);
  auto v = row(*attrs[0]->relation, std::get<Insert>(*attrs[0]->message).new_tuple);
  EXPECT_EQ(v["user_id"], "00000000-0000-0000-0000-0000000000a1");
  EXPECT_EQ(v["display_name"], "Zoë 東京 🚀");
  EXPECT_EQ(v["account_id"], "acc00000-0000-0000-0000-000000000001") << "set by the legacy trigger";
  EXPECT_EQ(v["timezone"], "Europe/Lisbon");
  EXPECT_EQ(v["preferences"], R"({"note": "say \"hi\"\n\ttab", "notifications": {"email": true}})");
  EXPECT_EQ(v["updated_at"], "2026-11-25 10:00:01+00");

  const auto messages = changes_of("chatbot_messages", 'I');
  ASSERT_EQ(messages.size(), 2u);
  v = row(*messages[0]->relation, std::get<Insert>(*messages[0]->message).new_tuple);
  EXPECT_EQ(v["content"], "Olá! Where should I eat in Lisboa?\nBudget: \"cheap\"\\tasty");
  EXPECT_EQ(v["role"], "user");
  v = row(*messages[1]->relation, std::get<Insert>(*messages[1]->message).new_tuple);
  EXPECT_EQ(v["content"], "Try the pastéis de nata 🥧");

  const auto feedback = changes_of("activity_feedback", 'I');
  ASSERT_EQ(feedback.size(), 2u);
  v = row(*feedback[0]->relation, std::get<Insert>(*feedback[0]->message).new_tuple);
  EXPECT_EQ(v["id"], "1");
  EXPECT_EQ(v["score"], "4.250");
  EXPECT_EQ(v["feedback_type"], "like");
  v = row(*feedback[1]->relation, std::get<Insert>(*feedback[1]->message).new_tuple);
  EXPECT_EQ(v["score"], "<null>");
  EXPECT_EQ(v["suggestion_id"], "<null>");

  const auto activities = changes_of("activities", 'I');
  ASSERT_EQ(activities.size(), 2u);
  v = row(*activities[0]->relation, std::get<Insert>(*activities[0]->message).new_tuple);
  EXPECT_EQ(v["slug"], "lisbon-tram-28");
  EXPECT_EQ(v["description"], "<null>");
  EXPECT_EQ(v["duration_minutes"], "90");
  EXPECT_EQ(v["is_published"], "f");
}

TEST_P(DmlFixture, UpdateLeavesTheToastedSuggestionsUnchanged) {
  const auto updates = changes_of("ai_suggestions", 'U');
  ASSERT_EQ(updates.size(), 2u);
  const auto& answered = std::get<Update>(*updates[0]->message);
  EXPECT_EQ(answered.old_kind, OldTupleKind::none);
  auto v = row(*updates[0]->relation, answered.new_tuple);
  EXPECT_EQ(v["status"], "completed");
  EXPECT_GT(v["suggestions"].size(), 10'000u) << "large enough to be stored out of line";
  EXPECT_EQ(v["suggestions"].rfind(R"([{"slug": "activity-1", )", 0), 0u);

  const auto& failed = std::get<Update>(*updates[1]->message);
  v = row(*updates[1]->relation, failed.new_tuple);
  EXPECT_EQ(v["status"], "failed");
  EXPECT_EQ(v["suggestions"], "<unchanged>");
  EXPECT_EQ(v["prompt"], "{}") << "small jsonb values are sent even when unchanged";
}

TEST_P(DmlFixture, KeyChangingUpdateAndDeletesCarryTheOldKey) {
  const auto updates = changes_of("offline_likes", 'U');
  ASSERT_EQ(updates.size(), 1u);
  const auto& u = std::get<Update>(*updates[0]->message);
  EXPECT_EQ(u.old_kind, OldTupleKind::key);
  auto old_row = row(*updates[0]->relation, u.old_tuple);
  EXPECT_EQ(old_row["user_id"], "00000000-0000-0000-0000-0000000000a1");
  EXPECT_EQ(old_row["activity_slug"], "lisbon-tram-28");
  EXPECT_EQ(old_row["payload"], "<null>") << "a key tuple carries only the key";
  EXPECT_EQ(row(*updates[0]->relation, u.new_tuple)["activity_slug"], "lisbon-tram-28-night");

  const auto same_key = changes_of("user_attributes", 'U');
  ASSERT_EQ(same_key.size(), 1u);
  EXPECT_EQ(std::get<Update>(*same_key[0]->message).old_kind, OldTupleKind::none);

  const auto deletes = changes_of("offline_likes", 'D');
  ASSERT_EQ(deletes.size(), 1u);
  const auto& d = std::get<Delete>(*deletes[0]->message);
  EXPECT_EQ(d.old_kind, OldTupleKind::key);
  EXPECT_EQ(row(*deletes[0]->relation, d.old_tuple)["activity_slug"], "lisbon-tram-28-night");
  const auto message_deletes = changes_of("chatbot_messages", 'D');
  ASSERT_EQ(message_deletes.size(), 1u);
  auto deleted =
      row(*message_deletes[0]->relation, std::get<Delete>(*message_deletes[0]->message).old_tuple);
  EXPECT_EQ(deleted["id"], "50000000-0000-0000-0000-000000000002");
  EXPECT_EQ(deleted["content"], "<null>");
}

TEST_P(DmlFixture, TruncatesMessagesOriginAndType) {
  std::vector<const Truncate*> truncates;
  std::vector<const LogicalMessage*> messages;
  const Origin* origin = nullptr;
  std::vector<std::string> types;
  for (const auto& m : fixture_.messages) {
    if (const auto* t = std::get_if<Truncate>(&m->message)) truncates.push_back(t);
    if (const auto* l = std::get_if<LogicalMessage>(&m->message)) messages.push_back(l);
    if (const auto* o = std::get_if<Origin>(&m->message)) origin = o;
    if (const auto* t = std::get_if<Type>(&m->message))
      types.push_back(t->namespace_name + "." + t->type_name);
  }
  ASSERT_EQ(truncates.size(), 2u);
  ASSERT_EQ(truncates[0]->relation_ids.size(), 1u);
  EXPECT_EQ(relations_.find(truncates[0]->relation_ids[0])->relation_name, "conversation_context");
  EXPECT_EQ(truncates[0]->options, 0);
  EXPECT_EQ(relations_.find(truncates[1]->relation_ids.at(0))->relation_name, "account_metadata");
  EXPECT_EQ(truncates[1]->options, Truncate::kOptionCascade | Truncate::kOptionRestartIdentity);

  ASSERT_EQ(messages.size(), 2u);
  EXPECT_TRUE(messages[0]->transactional());
  EXPECT_EQ(messages[0]->prefix, "dualwrite");
  EXPECT_EQ(messages[0]->content, "transactional ✓");
  EXPECT_FALSE(messages[1]->transactional());
  EXPECT_EQ(messages[1]->content, "non-transactional");
  EXPECT_TRUE(messages[1]->lsn.is_valid());

  ASSERT_NE(origin, nullptr);
  EXPECT_EQ(origin->name, "dw_fixture_origin");
  EXPECT_EQ(origin->commit_lsn, Lsn{0xABCDEF});

  EXPECT_EQ(types,
            (std::vector<std::string>{"public.activity_status", "public.decode_fixture_mood"}));
}

TEST_P(DmlFixture, TransactionsAreWellFormed) {
  const Begin* open = nullptr;
  int committed = 0;
  for (const auto& m : fixture_.messages) {
    if (const auto* b = std::get_if<Begin>(&m->message)) {
      ASSERT_EQ(open, nullptr) << "nested begin at line " << m->line;
      open = b;
      EXPECT_TRUE(b->final_lsn.is_valid());
      EXPECT_EQ(b->commit_time.to_iso8601().substr(0, 8), "2026-11-");
    } else if (const auto* c = std::get_if<Commit>(&m->message)) {
      ASSERT_NE(open, nullptr) << "commit without begin at line " << m->line;
      EXPECT_EQ(c->commit_lsn, open->final_lsn);
      EXPECT_GT(c->end_lsn, c->commit_lsn);
      EXPECT_EQ(c->commit_time, open->commit_time);
      EXPECT_EQ(c->flags, 0);
      open = nullptr;
      ++committed;
    } else if (!std::holds_alternative<LogicalMessage>(m->message)) {
      EXPECT_NE(open, nullptr) << name_of(m->message) << " outside a transaction, line " << m->line;
    }
  }
  EXPECT_EQ(open, nullptr);
  EXPECT_EQ(committed, 10);
}

INSTANTIATE_TEST_SUITE_P(Protocols, DmlFixture,
                         ::testing::Values("dml.proto1.hex", "dml.proto2.hex"),
                         [](const auto& param_info) { return param_info.param.substr(4, 6); });

TEST(DmlFixtures, ProtocolOneAndTwoAgreeOutsideStreaming) {
  const Fixture one = load_fixture("dml.proto1.hex");
  const Fixture two = load_fixture("dml.proto2.hex");
  ASSERT_EQ(one.messages.size(), two.messages.size());
  for (std::size_t i = 0; i < one.messages.size(); ++i) {
    EXPECT_EQ(one.messages[i]->message, two.messages[i]->message)
        << "line " << one.messages[i]->line;
  }
}

TEST(StreamedFixture, StreamsCommitsAndAbortsWithConsistentXids) {
  const Fixture f = load_fixture("streamed.proto2.hex");
  ASSERT_EQ(f.messages.size(), 1235u);
  const std::map<char, int> expected = {{'A', 2}, {'B', 1}, {'C', 1}, {'E', 6}, {'I', 1210},
                                        {'M', 1}, {'R', 5}, {'S', 6}, {'Y', 1}, {'c', 2}};
  EXPECT_EQ(count_by_tag(f), expected);

  std::optional<TransactionId> block;                            // xid of the open block
  std::map<TransactionId, int> segments;                         // stream blocks per top-level xid
  std::map<TransactionId, std::set<TransactionId>> change_xids;  // xids seen on its changes
  std::map<TransactionId, int> inserts;                          // inserts per change xid
  std::vector<StreamCommit> commits;
  std::vector<StreamAbort> aborts;
  int streamed_messages = 0;
  for (const auto& m : f.messages) {
    const Message& msg = m->message;
    EXPECT_EQ(m->context.in_streamed_block, block.has_value()) << "line " << m->line;
    if (const auto* s = std::get_if<StreamStart>(&msg)) {
      EXPECT_EQ(s->first_segment, segments[s->xid] == 0) << "line " << m->line;
      ++segments[s->xid];
      block = s->xid;
    } else if (std::holds_alternative<StreamStop>(msg)) {
      block.reset();
    } else if (const auto* c = std::get_if<StreamCommit>(&msg)) {
      commits.push_back(*c);
    } else if (const auto* a = std::get_if<StreamAbort>(&msg)) {
      aborts.push_back(*a);
    } else if (block) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (requires { v.xid.has_value(); }) {
              ASSERT_TRUE(v.xid.has_value()) << "no xid inside a streamed block, line " << m->line;
              change_xids[*block].insert(*v.xid);
              if constexpr (std::is_same_v<T, Insert>) ++inserts[*v.xid];
              if constexpr (std::is_same_v<T, LogicalMessage>) {
                EXPECT_EQ(v.content, "inside a streamed transaction");
                EXPECT_TRUE(v.transactional());
                ++streamed_messages;
              }
            } else {
              ADD_FAILURE() << name_of(msg) << " inside a streamed block, line " << m->line;
            }
          },
          msg);
    } else {
      std::visit(
          [&](const auto& v) {
            if constexpr (requires { v.xid.has_value(); }) {
              EXPECT_FALSE(v.xid.has_value()) << "xid outside a streamed block, line " << m->line;
            }
          },
          msg);
    }
  }
  EXPECT_FALSE(block.has_value());
  EXPECT_EQ(streamed_messages, 1);
  ASSERT_EQ(segments.size(), 3u);
  ASSERT_EQ(commits.size(), 2u);
  ASSERT_EQ(aborts.size(), 2u);

  // 1st transaction: 600 rows over several segments, committed.
  const TransactionId big = commits[0].xid;
  EXPECT_GE(segments[big], 3) << "64kB of decoding memory should split 600 rows";
  EXPECT_EQ(change_xids[big], std::set<TransactionId>{big});
  EXPECT_EQ(inserts[big], 600);
  EXPECT_GT(commits[0].end_lsn, commits[0].commit_lsn);

  // 2nd: its savepoint (a subtransaction, whose changes carry the subxact's xid) was streamed
  // and then aborted; the rest committed.
  const TransactionId with_savepoint = commits[1].xid;
  EXPECT_EQ(aborts[0].xid, with_savepoint);
  const TransactionId rolled_back = aborts[0].subxid;
  EXPECT_NE(rolled_back, with_savepoint);
  EXPECT_TRUE(change_xids[with_savepoint].count(rolled_back));
  // Only the part streamed before ROLLBACK TO reached the slot; the rest was discarded.
  EXPECT_GT(inserts[rolled_back], 0);
  EXPECT_LT(inserts[rolled_back], 600);
  EXPECT_EQ(inserts[with_savepoint], 1) << "the row inserted before the savepoint";

  // 3rd: streamed, then rolled back entirely: subxid equals xid.
  EXPECT_EQ(aborts[1].xid, aborts[1].subxid);
  EXPECT_EQ(change_xids[aborts[1].xid], std::set<TransactionId>{aborts[1].xid});
  EXPECT_GT(inserts[aborts[1].xid], 0);
  EXPECT_LT(inserts[aborts[1].xid], 600) << "only what was streamed before the rollback";
}

}  // namespace
}  // namespace dualwrite::decode
