// ChangeContext (core/context.hpp): describe(), the thread's current context and ContextScope.
#include "dualwrite/core/context.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "dualwrite/core/error.hpp"

namespace dualwrite {
namespace {

TEST(ChangeContext, DescribesOnlyThePartsThatAreSet) {
  EXPECT_EQ(describe(ChangeContext{}), "");
  EXPECT_EQ(describe(ChangeContext{"likes", "insert", Lsn{0x16B2D28}, 740}),
            "likes insert, xid 740, commit 0/16B2D28");
  EXPECT_EQ(describe(ChangeContext{"", "", Lsn{0x16B2D28}, 740}), "xid 740, commit 0/16B2D28");
  EXPECT_EQ(describe(ChangeContext{"likes", "delete", Lsn{}, 0}), "likes delete");
}

TEST(ChangeContext, AnErrorShowsItsContextAfterTheMessage) {
  Error error = make_error(ErrorDomain::target, "permission denied");
  EXPECT_EQ(describe(error), "permission denied");
  error.context = ChangeContext{"offline_likes", "update", Lsn{0x10}, 9};
  EXPECT_EQ(describe(error), "permission denied (offline_likes update, xid 9, commit 0/10)");
}

TEST(ChangeContext, AScopeNarrowsTheTransactionToOneChangeAndRestoresIt) {
  set_current_context(std::nullopt);
  {
    ContextScope outside("likes", "insert");  // a change outside any known transaction
    EXPECT_EQ(current_context(), (ChangeContext{"likes", "insert", Lsn{}, 0}));
  }
  EXPECT_FALSE(current_context().has_value());

  set_current_context(ChangeContext{"", "", Lsn{0x20}, 41});
  {
    ContextScope change("chatbot_messages", "delete");
    EXPECT_EQ(current_context(), (ChangeContext{"chatbot_messages", "delete", Lsn{0x20}, 41}));
    {
      ContextScope inner("activities", "update");
      EXPECT_EQ(current_context()->table, "activities");
    }
    EXPECT_EQ(current_context()->table, "chatbot_messages");
  }
  EXPECT_EQ(current_context(), (ChangeContext{"", "", Lsn{0x20}, 41}));
  set_current_context(std::nullopt);
  EXPECT_FALSE(current_context().has_value());
}

TEST(ChangeContext, IsPerThread) {
  set_current_context(ChangeContext{"likes", "insert", Lsn{1}, 1});
  bool other_thread_has_one = true;
  std::thread([&] { other_thread_has_one = current_context().has_value(); }).join();
  EXPECT_FALSE(other_thread_has_one);
  set_current_context(std::nullopt);
}

}  // namespace
}  // namespace dualwrite
