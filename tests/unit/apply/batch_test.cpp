// The batch builder without a server: which ops share a statement, in which phase, in which
// order (apply/batch.hpp).
#include "dualwrite/apply/batch.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dualwrite::apply {
namespace {

using translate::Access;
using translate::KeySpace;
using translate::OpKey;
using translate::OpKind;
using translate::Param;

OpKey row(KeySpace space, std::string_view id) {
  return {space, Access::write, id};
}
OpKey reads_user(std::string_view user) {
  return {KeySpace::user, Access::read, user};
}
OpKey writes_user(std::string_view user) {
  return {KeySpace::user, Access::write, user};
}

class BatchTest : public ::testing::Test {
 protected:
  // Adds an op whose single parameter is `label`, so that tests can see where it went.
  bool add(OpKind kind, std::string_view label, std::vector<OpKey> keys) {
    const Param p[] = {Param::of(label)};
    return batch.add(slot_of(kind), p, keys, next_record++);
  }
  bool add_letter(std::string_view label, std::vector<OpKey> keys) {
    const Param p[] = {Param::of(label)};
    return batch.add(kLetterSlot, p, keys, next_record++);
  }
  // Phase by phase, "kind{a,b}" per statement in execution order.
  std::vector<std::string> layout() {
    std::vector<std::string> out;
    for (std::size_t p = 0; p < batch.phase_count(); ++p) {
      std::string line;
      for (auto* s : batch.statements(p)) {
        if (!line.empty()) line += ' ';
        auto values = s->finish();
        line += std::string(slot_name(s->slot)) + values[0];
      }
      out.push_back(line);
    }
    return out;
  }

  Batch batch{Batch::Limits{}};
  std::uint64_t next_record = 0;
};

using Layout = std::vector<std::string>;

TEST_F(BatchTest, InterleavedIndependentTransactionsShareOneStatementPerKind) {
  for (int t = 0; t < 3; ++t) {
    const std::string f = "f" + std::to_string(t), m = "m" + std::to_string(t);
    const std::string s = "s" + std::to_string(t);
    ASSERT_TRUE(add(OpKind::feedback_insert, f, {row(KeySpace::activity_feedback, f)}));
    ASSERT_TRUE(add(OpKind::message_put, m,
                    {row(KeySpace::chatbot_messages, m),
                     {KeySpace::chatbot_conversations, Access::read, s},
                     {KeySpace::message_order, Access::ordered_write, s}}));
  }
  EXPECT_EQ(layout(), (Layout{R"(feedback_insert{"f0","f1","f2"} message_put{"m0","m1","m2"})"}));
  EXPECT_EQ(batch.rows(), 6u);
}

TEST_F(BatchTest, ParentsRunFirstInAPhaseAndDeletesAfterPutsChildrenBeforeParents) {
  add(OpKind::session_delete, "s9", {row(KeySpace::chatbot_conversations, "s9")});
  add(OpKind::message_delete, "m9", {row(KeySpace::chatbot_messages, "m9")});
  add(OpKind::message_put, "m1", {row(KeySpace::chatbot_messages, "m1")});
  add(OpKind::session_put, "s1", {row(KeySpace::chatbot_conversations, "s1")});
  add(OpKind::link_put, "l1", {row(KeySpace::account_linkages, "l1"), writes_user("u1")});
  add(OpKind::link_delete, "l9", {row(KeySpace::account_linkages, "l9")});
  EXPECT_EQ(layout(), (Layout{R"(link_delete{"l9"} link_put{"l1"} session_put{"s1"} )"
                              R"(message_put{"m1"} message_delete{"m9"} session_delete{"s9"})"}));
}

TEST_F(BatchTest, TheSameRowTwiceInOneKindGoesToTheNextPhase) {
  add(OpKind::profile_put, "p1-a", {row(KeySpace::user_attributes, "u1")});
  add(OpKind::profile_put, "p2", {row(KeySpace::user_attributes, "u2")});
  add(OpKind::profile_put, "p1-b", {row(KeySpace::user_attributes, "u1")});
  EXPECT_EQ(layout(), (Layout{R"(profile_put{"p1-a","p2"})", R"(profile_put{"p1-b"})"}));
}

TEST_F(BatchTest, AnInsertThenItsDeleteShareAPhaseButADeleteThenAReinsertDoNot) {
  add(OpKind::feedback_insert, "f1", {row(KeySpace::activity_feedback, "f1")});
  add(OpKind::feedback_delete, "f1", {row(KeySpace::activity_feedback, "f1")});
  add(OpKind::feedback_delete, "f2", {row(KeySpace::activity_feedback, "f2")});
  add(OpKind::feedback_insert, "f2", {row(KeySpace::activity_feedback, "f2")});
  EXPECT_EQ(layout(), (Layout{R"(feedback_insert{"f1"} feedback_delete{"f1","f2"})",
                              R"(feedback_insert{"f2"})"}));
}

TEST_F(BatchTest, ALinkArrivingAfterItsUsersRowsRunsAfterThem) {
  // The rows resolve their account from the user: they must see the user unlinked, as they
  // did in the stream (they become unlinked_user letters that the link then applies).
  add(OpKind::feedback_insert, "f1", {row(KeySpace::activity_feedback, "f1"), reads_user("u1")});
  add(OpKind::session_put, "s1", {row(KeySpace::chatbot_conversations, "s1"), reads_user("u1")});
  add(OpKind::link_put, "l1", {row(KeySpace::account_linkages, "l1"), writes_user("u1")});
  add(OpKind::feedback_insert, "f2", {row(KeySpace::activity_feedback, "f2"), reads_user("u1")});
  add(OpKind::feedback_insert, "f3", {row(KeySpace::activity_feedback, "f3"), reads_user("u2")});
  EXPECT_EQ(layout(), (Layout{R"(session_put{"s1"} feedback_insert{"f1","f3"})",
                              R"(link_put{"l1"} feedback_insert{"f2"})"}));
  ASSERT_EQ(batch.statements(1).size(), 2u);
}

TEST_F(BatchTest, ALinkBeforeItsUsersRowsSharesTheirPhase) {
  add(OpKind::link_put, "l1", {row(KeySpace::account_linkages, "l1"), writes_user("u1")});
  add(OpKind::feedback_insert, "f1", {row(KeySpace::activity_feedback, "f1"), reads_user("u1")});
  add(OpKind::profile_put, "p1", {row(KeySpace::user_attributes, "u1"), reads_user("u1")});
  EXPECT_EQ(layout(), (Layout{R"(link_put{"l1"} profile_put{"p1"} feedback_insert{"f1"})"}));
}

TEST_F(BatchTest, ReadersOfOneKeyDoNotOrderEachOther) {
  add(OpKind::profile_put, "p1", {row(KeySpace::user_attributes, "u1"), reads_user("u1")});
  add(OpKind::feedback_insert, "f1", {row(KeySpace::activity_feedback, "f1"), reads_user("u1")});
  add(OpKind::session_put, "s1", {row(KeySpace::chatbot_conversations, "s1"), reads_user("u1")});
  EXPECT_EQ(batch.phase_count(), 1u);
}

TEST_F(BatchTest, ASessionDeletedBeforeItsMessagesRunsBeforeThem) {
  const OpKey in_s1{KeySpace::chatbot_conversations, Access::read, "s1"};
  const OpKey order_s1{KeySpace::message_order, Access::ordered_write, "s1"};
  add(OpKind::message_put, "m1", {row(KeySpace::chatbot_messages, "m1"), in_s1, order_s1});
  add(OpKind::session_delete, "s1", {row(KeySpace::chatbot_conversations, "s1")});
  add(OpKind::message_put, "m2", {row(KeySpace::chatbot_messages, "m2"), in_s1, order_s1});
  EXPECT_EQ(layout(),
            (Layout{R"(message_put{"m1"} session_delete{"s1"})", R"(message_put{"m2"})"}));
}

TEST_F(BatchTest, AMessageNeverOvertakesAnEarlierMessageOfItsSession) {
  const OpKey order_s1{KeySpace::message_order, Access::ordered_write, "s1"};
  const OpKey any_order{KeySpace::message_order, Access::read, ""};
  // m1 is re-inserted after its delete: it must go to phase 1; m2, later in the same session,
  // must not take a lower sequence by running in phase 0.
  add(OpKind::message_put, "m1", {row(KeySpace::chatbot_messages, "m1"), order_s1, any_order});
  add(OpKind::message_delete, "m1",
      {row(KeySpace::chatbot_messages, "m1"), {KeySpace::message_order, Access::write, ""}});
  add(OpKind::message_put, "m1", {row(KeySpace::chatbot_messages, "m1"), order_s1, any_order});
  add(OpKind::message_put, "m2", {row(KeySpace::chatbot_messages, "m2"), order_s1, any_order});
  EXPECT_EQ(layout(),
            (Layout{R"(message_put{"m1"} message_delete{"m1"})", R"(message_put{"m1","m2"})"}));
}

TEST_F(BatchTest, MessagesOfOneSessionShareAStatementInStreamOrder) {
  const OpKey in_s1{KeySpace::chatbot_conversations, Access::read, "s1"};
  const OpKey order_s1{KeySpace::message_order, Access::ordered_write, "s1"};
  for (const char* m : {"m1", "m2", "m3"}) {
    add(OpKind::message_put, m, {row(KeySpace::chatbot_messages, m), in_s1, order_s1});
  }
  EXPECT_EQ(layout(), (Layout{R"(message_put{"m1","m2","m3"})"}));
}

TEST_F(BatchTest, OrderedWritesOfAnotherKindDoNotShareAPhase) {
  // An ordered write is only order-aware within its own statement.
  const OpKey k{KeySpace::message_order, Access::ordered_write, "s1"};
  add(OpKind::message_put, "m1", {k});
  add(OpKind::summary_put, "x", {k});  // (no real op does this: the rule, not the mapping)
  add(OpKind::message_put, "m2", {k});
  EXPECT_EQ(layout(), (Layout{R"(message_put{"m1"} summary_put{"x"})", R"(message_put{"m2"})"}));
}

TEST_F(BatchTest, ABarrierRunsAfterEverythingBeforeItAndBeforeEverythingAfterIt) {
  add(OpKind::feedback_insert, "f1", {row(KeySpace::activity_feedback, "f1")});
  add(OpKind::link_put, "l1",
      {row(KeySpace::account_linkages, "l1"),
       writes_user("u1"),
       {KeySpace::everything, Access::write, {}}});
  add(OpKind::link_put, "l2", {row(KeySpace::account_linkages, "l2"), writes_user("u2")});
  add(OpKind::feedback_insert, "f2", {row(KeySpace::activity_feedback, "f2")});
  EXPECT_EQ(layout(), (Layout{R"(feedback_insert{"f1"})", R"(link_put{"l1"} feedback_insert{"f2"})",
                              R"(link_put{"l2"})"}));
}

TEST_F(BatchTest, ALetterOfARefusedChangeIsOrderedWithItsRow) {
  // A later DELETE of the row must supersede the letter, an earlier one must not.
  add_letter("L1", {row(KeySpace::activity_feedback, "f1")});
  add(OpKind::feedback_delete, "f1", {row(KeySpace::activity_feedback, "f1")});
  add(OpKind::feedback_delete, "f2", {row(KeySpace::activity_feedback, "f2")});
  add_letter("L2", {row(KeySpace::activity_feedback, "f2")});
  EXPECT_EQ(layout(),
            (Layout{R"(dead_letter{"L1"} feedback_delete{"f1","f2"})", R"(dead_letter{"L2"})"}));
}

TEST_F(BatchTest, ParametersAreQuotedArrayElementsAndNullsStayNull) {
  const Param p[] = {Param::of(R"(say "hi" \ there)"), Param::null(), Param::of("")};
  ASSERT_TRUE(batch.add(slot_of(OpKind::link_put), p, {}, 7));
  const Param q[] = {Param::of("b"), Param::of("x"), Param::null()};
  ASSERT_TRUE(batch.add(slot_of(OpKind::link_put), q, {}, kNoRecord));
  auto statements = batch.statements(0);
  ASSERT_EQ(statements.size(), 1u);
  auto values = statements[0]->finish();
  ASSERT_EQ(values.size(), 3u);
  EXPECT_STREQ(values[0], R"({"say \"hi\" \\ there","b"})");
  EXPECT_STREQ(values[1], R"({NULL,"x"})");
  EXPECT_STREQ(values[2], R"({"",NULL})");
  EXPECT_EQ(statements[0]->records, (std::vector<std::uint64_t>{7, kNoRecord}));
  EXPECT_EQ(batch.bytes(), std::string_view(R"(say "hi" \ there)").size() + 2);
}

TEST_F(BatchTest, RowsAreKeptAsBinaryCopyTuplesOfTheStageTable) {
  using namespace std::string_literals;
  const Param p[] = {Param::of("ab"), Param::null()};
  ASSERT_TRUE(batch.add(slot_of(OpKind::link_put), p, {}, 1));
  const Param q[] = {Param::of(""), Param::of("c")};
  ASSERT_TRUE(batch.add(slot_of(OpKind::link_put), q, {}, 2));
  auto statements = batch.statements(0);
  ASSERT_EQ(statements.size(), 1u);
  // (ord, v1, v2) per row: the stage's columns (migration 20261205000200).
  EXPECT_EQ(statements[0]->columns, 2u);
  EXPECT_EQ(statements[0]->tuples, "\0\3"s + "\0\0\0\x08"s + "\0\0\0\0\0\0\0\x01"s +
                                       "\0\0\0\x02"
                                       "ab"s +
                                       "\xff\xff\xff\xff"s +  // row 1
                                       "\0\3"s + "\0\0\0\x08"s + "\0\0\0\0\0\0\0\x02"s +
                                       "\0\0\0\0"s +
                                       "\0\0\0\x01"
                                       "c"s);  // row 2
  auto values = statements[0]->finish();
  EXPECT_STREQ(values[0], R"({"ab",""})");
  EXPECT_STREQ(values[1], R"({NULL,"c"})");
  // A cleared batch starts its tuples again.
  batch.clear();
  ASSERT_TRUE(batch.add(slot_of(OpKind::link_put), q, {}, 3));
  EXPECT_EQ(batch.statements(0)[0]->tuples.size(), 2u + 12u + 4u + 5u);
  EXPECT_STREQ(batch.statements(0)[0]->finish()[0], R"({""})");
}

TEST_F(BatchTest, AnOpThatWouldPassALimitIsRefusedUntilTheBatchIsCleared) {
  Batch small(Batch::Limits{
      .max_rows = 100, .max_bytes = 1 << 20, .max_phases = 2, .max_statement_rows = 3});
  const Param p[] = {Param::of("x")};
  const OpKey same{KeySpace::user_attributes, Access::write, "u1"};
  ASSERT_TRUE(small.add(slot_of(OpKind::profile_put), p, {&same, 1}, 0));
  ASSERT_TRUE(small.add(slot_of(OpKind::profile_put), p, {&same, 1}, 1));   // phase 1
  EXPECT_FALSE(small.add(slot_of(OpKind::profile_put), p, {&same, 1}, 2));  // phase 2: too many
  EXPECT_EQ(small.rows(), 2u);
  small.clear();
  EXPECT_TRUE(small.empty());
  EXPECT_TRUE(small.add(slot_of(OpKind::profile_put), p, {&same, 1}, 2));
  EXPECT_EQ(small.phase_count(), 1u);
  // A statement is full at max_statement_rows.
  ASSERT_TRUE(small.add(slot_of(OpKind::offline_put), p, {}, 3));
  ASSERT_TRUE(small.add(slot_of(OpKind::offline_put), p, {}, 4));
  ASSERT_TRUE(small.add(slot_of(OpKind::offline_put), p, {}, 5));
  EXPECT_FALSE(small.add(slot_of(OpKind::offline_put), p, {}, 6));
}

TEST_F(BatchTest, BytesLimitRefusesButAnEmptyBatchTakesAnyOp) {
  Batch tiny(
      Batch::Limits{.max_rows = 100, .max_bytes = 8, .max_phases = 8, .max_statement_rows = 100});
  const std::string big(64, 'v');
  const Param p[] = {Param::of(big)};
  EXPECT_TRUE(tiny.add(slot_of(OpKind::message_put), p, {}, 0));
  EXPECT_FALSE(tiny.add(slot_of(OpKind::message_put), p, {}, 1));
  tiny.clear();
  EXPECT_TRUE(tiny.add(slot_of(OpKind::message_put), p, {}, 1));
}

TEST(BatchOrder, EverySlotHasARankAndTheOrderIsParentsFirst) {
  const auto order = execution_order();
  ASSERT_EQ(order.size(), kSlotCount);
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(rank_of(order[i]), i);
  EXPECT_LT(rank_of(slot_of(OpKind::link_put)), rank_of(slot_of(OpKind::feedback_insert)));
  EXPECT_LT(rank_of(slot_of(OpKind::session_put)), rank_of(slot_of(OpKind::message_put)));
  EXPECT_LT(rank_of(slot_of(OpKind::message_delete)), rank_of(slot_of(OpKind::session_delete)));
  EXPECT_LT(rank_of(slot_of(OpKind::summary_put)), rank_of(slot_of(OpKind::summary_delete)));
}

}  // namespace
}  // namespace dualwrite::apply
