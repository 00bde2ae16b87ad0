// pg::attempt, domain_of and one_line (pg/attempt.hpp), without a server: DbError is a value.
#include "dualwrite/pg/attempt.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace {

using dualwrite::ErrorDomain;
using dualwrite::pg::attempt;
using dualwrite::pg::DbError;
using dualwrite::pg::domain_of;
using dualwrite::pg::one_line;

TEST(Attempt, ReturnsTheValueOrTheErrorOfTheSide) {
  auto value = attempt(ErrorDomain::target, [] { return std::string("t"); });
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "t");

  auto failed = attempt(ErrorDomain::target, []() -> int {
    throw DbError("ERROR:  permission denied for table accounts", "42501", false);
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().domain, ErrorDomain::target);
  EXPECT_EQ(failed.error().message, "ERROR:  permission denied for table accounts");
  EXPECT_EQ(failed.error().sqlstate, "42501");

  auto lost = attempt(ErrorDomain::source, [] { throw DbError("server closed", "", true); });
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().domain, ErrorDomain::source);
  EXPECT_TRUE(lost.error().connection_lost);
  EXPECT_FALSE(failed.error().connection_lost);
}

TEST(Attempt, TheErrorCarriesTheChangeTheThreadWorksOn) {
  auto outside = attempt(ErrorDomain::target, [] { throw DbError("refused", "23503", false); });
  ASSERT_FALSE(outside.ok());
  EXPECT_FALSE(outside.error().context.has_value());

  dualwrite::set_current_context(dualwrite::ChangeContext{"", "", dualwrite::Lsn{0x40}, 12});
  auto inside = attempt(ErrorDomain::target, [] {
    const dualwrite::ContextScope change("offline_likes", "delete");
    throw DbError("refused", "23503", false);
  });
  dualwrite::set_current_context(std::nullopt);
  ASSERT_FALSE(inside.ok());
  // The change's scope ended with the throw: the transaction is what is left to name.
  EXPECT_EQ(inside.error().context, (dualwrite::ChangeContext{"", "", dualwrite::Lsn{0x40}, 12}));
  EXPECT_EQ(dualwrite::describe(inside.error()), "refused (xid 12, commit 0/40)");
}

TEST(Attempt, AVoidBodyGivesAStatusAndOtherExceptionsPass) {
  int ran = 0;
  EXPECT_TRUE(attempt(ErrorDomain::source, [&] { ++ran; }).ok());
  EXPECT_EQ(ran, 1);
  EXPECT_THROW((void)attempt(ErrorDomain::source, [] { throw std::logic_error("a bug"); }),
               std::logic_error);
}

TEST(DomainOf, AReplicationSlotThatIsGoneIsSlotLostOnEitherSide) {
  const DbError missing("ERROR:  replication slot \"dualwrite\" does not exist", "42704", false);
  const DbError invalidated("ERROR:  can no longer get changes from replication slot \"dualwrite\"",
                            "55000", false);
  const DbError other_object("ERROR:  type \"vector\" does not exist", "42704", false);
  EXPECT_EQ(domain_of(missing, ErrorDomain::source), ErrorDomain::slot_lost);
  EXPECT_EQ(domain_of(invalidated, ErrorDomain::target), ErrorDomain::slot_lost);
  EXPECT_EQ(domain_of(other_object, ErrorDomain::target), ErrorDomain::target);
}

TEST(OneLine, DropsTheSeverityAndJoinsDetailLines) {
  EXPECT_EQ(one_line("ERROR:  relation \"x\" does not exist\nLINE 1: SELECT\n\t^\n"),
            "relation \"x\" does not exist; LINE 1: SELECT; ^");
  EXPECT_EQ(one_line("FATAL:  password authentication failed"), "password authentication failed");
  EXPECT_EQ(one_line("plain"), "plain");
}

}  // namespace
