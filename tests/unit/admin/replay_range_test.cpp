// The pure parts of peek and replay: which ranges `dualwrite replay` accepts (and the one line
// it refuses the others with), and how the publication is quoted for pgoutput.
#include <gtest/gtest.h>

#include "dualwrite/admin/replay.hpp"
#include "dualwrite/admin/slot_reader.hpp"

namespace dualwrite::admin {
namespace {

Lsn at(const char* text) {
  return *Lsn::parse(text);
}

TEST(ReplayRange, ToDefaultsToTheAppliedPosition) {
  auto r = check_replay_range({at("0/100"), std::nullopt, false}, at("0/80"), at("0/900"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->from, at("0/100"));
  EXPECT_EQ(r->to, at("0/900"));
  // From the oldest position held, and up to the applied position itself, inclusive.
  EXPECT_TRUE(check_replay_range({at("0/80"), at("0/900"), false}, at("0/80"), at("0/900")).ok());
  EXPECT_TRUE(check_replay_range({at("0/900"), std::nullopt, false}, at("0/80"), at("0/900")).ok());
}

TEST(ReplayRange, FromOlderThanTheSlotHoldsIsRefusedNamingTheOldestAndTheWindow) {
  auto r = check_replay_range({at("0/7F"), std::nullopt, false}, at("0/80"), at("0/900"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, ErrorDomain::usage);
  EXPECT_NE(r.error().message.find("oldest replayable position is 0/80"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("[progress] replay_window"), std::string::npos);
  // A rehearsal cannot read what the slot released either.
  EXPECT_FALSE(check_replay_range({at("0/7F"), at("0/900"), true}, at("0/80"), at("0/900")).ok());
}

TEST(ReplayRange, ToBeforeFromIsRefused) {
  auto r = check_replay_range({at("0/500"), at("0/400"), false}, at("0/80"), at("0/900"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, ErrorDomain::usage);
  EXPECT_EQ(r.error().message, "--to 0/400 is before --from 0/500");
  auto past = check_replay_range({at("0/901"), std::nullopt, false}, at("0/80"), at("0/900"));
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message.find("past the applied position 0/900 (the default --to)"),
            std::string::npos)
      << past.error().message;
}

TEST(ReplayRange, OnlyARehearsalGoesPastTheAppliedPosition) {
  auto r = check_replay_range({at("0/100"), at("0/A00"), false}, at("0/80"), at("0/900"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, ErrorDomain::usage);
  EXPECT_NE(r.error().message.find("not applied yet"), std::string::npos) << r.error().message;
  auto rehearsal = check_replay_range({at("0/100"), at("0/A00"), true}, at("0/80"), at("0/900"));
  ASSERT_TRUE(rehearsal.ok());
  EXPECT_EQ(rehearsal->to, at("0/A00"));
}

TEST(ReplayRange, WithoutAnyAppliedPositionToMustBeGiven) {
  auto r = check_replay_range({at("0/100"), std::nullopt, true}, at("0/80"), Lsn::invalid());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("give --to"), std::string::npos);
}

TEST(PublicationOption, IsOneDoubleQuotedIdentifier) {
  EXPECT_EQ(publication_names_option("dualwrite_legacy"), "\"dualwrite_legacy\"");
  // pgoutput folds unquoted names to lower case and splits on commas: quoting keeps both.
  EXPECT_EQ(publication_names_option("Legacy,Pub"), "\"Legacy,Pub\"");
  EXPECT_EQ(publication_names_option("a\"b"), "\"a\"\"b\"");
}

}  // namespace
}  // namespace dualwrite::admin
