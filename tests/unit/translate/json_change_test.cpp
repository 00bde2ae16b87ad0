#include "dualwrite/translate/json_change.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dualwrite::translate {
namespace {

namespace cm = col::chatbot_messages;

TEST(JsonChangeLoader, AnUpdatesMissingColumnsAreUnchangedNotAbsent) {
  // A letter's UPDATE row lacks the values the stream did not carry (unchanged TOAST): they must
  // stay as they are on retry (rule 5), not be taken for NULLs.
  JsonChangeLoader loader;
  Change c;
  ASSERT_TRUE(loader.load("chatbot_messages", "update", nullptr,
                          R"({"id":"m1","conversation_id":"c1","role":"user",)"
                          R"("created_at":"2026-01-01"})",
                          c));
  EXPECT_EQ(c.op, Operation::update);
  EXPECT_EQ(c.new_row[cm::id].text, "m1");
  EXPECT_TRUE(c.new_row[cm::content].is_unchanged());
  EXPECT_TRUE(c.new_row[cm::metadata].is_unchanged());
  // An INSERT carries every column: one missing is absent.
  ASSERT_TRUE(loader.load("chatbot_messages", "insert", nullptr, R"({"id":"m1"})", c));
  EXPECT_EQ(c.new_row[cm::content].state, Value::State::absent);
  EXPECT_FALSE(loader.load("offline_likes_old", "insert", nullptr, R"({"user_id":"u"})", c));
}

TEST(SchemaMismatchRetry, ALetterWithTheLegacyColumnsCanBeRetried) {
  const char* row =
      R"({"id":"m1","conversation_id":"c1","role":"user","content":"hi","metadata":{},)"
      R"("created_at":"2026-01-01","added_later":1})";
  EXPECT_FALSE(schema_mismatch_retry_blocker(3, "chatbot_messages", "insert", nullptr, row));
  // An UPDATE may lack what the stream did not carry.
  EXPECT_FALSE(schema_mismatch_retry_blocker(3, "chatbot_messages", "update", nullptr,
                                             R"({"id":"m1","conversation_id":"c1","role":"user",)"
                                             R"("metadata":{},"created_at":"2026-01-01"})"));
  EXPECT_FALSE(
      schema_mismatch_retry_blocker(3, "chatbot_messages", "delete", R"({"id":"m1"})", nullptr));
}

TEST(SchemaMismatchRetry, ARowWithARenamedColumnSaysHowToMoveTheValue) {
  const char* row = R"({"id":"m1","conversation_id":"c1","role":"user","body":"hi","metadata":{},)"
                    R"("created_at":"2026-01-01"})";
  for (const char* op : {"insert", "update"}) {
    auto blocker = schema_mismatch_retry_blocker(42, "chatbot_messages", op, nullptr, row);
    ASSERT_TRUE(blocker) << op;
    EXPECT_NE(blocker->find("its new_row has body but not content"), std::string::npos) << *blocker;
    EXPECT_NE(blocker->find("UPDATE dualwrite.dead_letters SET new_row = new_row - 'body' || "
                            "jsonb_build_object('content', new_row -> 'body') WHERE id = 42"),
              std::string::npos)
        << *blocker;
    EXPECT_NE(blocker->find("dualwrite dead-letters resolve 42"), std::string::npos) << *blocker;
  }
  // A DELETE's key under another name.
  auto blocker = schema_mismatch_retry_blocker(7, "chatbot_messages", "delete",
                                               R"({"message_id":"m1"})", nullptr);
  ASSERT_TRUE(blocker);
  EXPECT_NE(blocker->find("its old_key has message_id but not id"), std::string::npos) << *blocker;
  // An INSERT that lacks a column outright (dropped on the source).
  blocker = schema_mismatch_retry_blocker(8, "conversation_context", "insert", nullptr,
                                          R"({"conversation_id":"c1","updated_at":"2026-01-01"})");
  ASSERT_TRUE(blocker);
  EXPECT_NE(blocker->find("has no summary"), std::string::npos) << *blocker;
  EXPECT_NE(blocker->find("jsonb_build_object('summary', <value>)"), std::string::npos) << *blocker;
}

TEST(SchemaMismatchRetry, ALetterOfAnUnknownTableSaysHowToNameTheLegacyOne) {
  auto blocker = schema_mismatch_retry_blocker(5, "offline_likes_old", "insert", nullptr,
                                               R"({"user_id":"u1"})");
  ASSERT_TRUE(blocker);
  EXPECT_NE(blocker->find("offline_likes_old, which is not a legacy table"), std::string::npos)
      << *blocker;
  EXPECT_NE(blocker->find("ALTER TABLE public.offline_likes_old RENAME TO"), std::string::npos)
      << *blocker;
  EXPECT_NE(blocker->find("SET source_table = '<legacy name>' WHERE id = 5"), std::string::npos)
      << *blocker;
  blocker = schema_mismatch_retry_blocker(6, "offline_likes", "truncate", nullptr, nullptr);
  ASSERT_TRUE(blocker);
  EXPECT_NE(blocker->find("never mirrored"), std::string::npos) << *blocker;
}

}  // namespace
}  // namespace dualwrite::translate
