// The backfill plan, without a server: chunk ranges cover every key exactly once, the predicates
// say what the ranges mean, the steps run parents before children, and progress lines read well.
#include "dualwrite/backfill/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace dualwrite::backfill {
namespace {

TEST(UuidChunks, AreContiguousAndOpenAtBothEnds) {
  const auto chunks = uuid_chunks(5);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_FALSE(chunks.front().lo);
  EXPECT_FALSE(chunks.back().hi);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    ASSERT_TRUE(chunks[i].hi);
    EXPECT_EQ(chunks[i].hi, chunks[i + 1].lo) << "chunk " << i;
    EXPECT_LT(*chunks[i + 1].lo, chunks[i + 1].hi.value_or("g")) << "ranges ascend";
    EXPECT_EQ(chunks[i].number, static_cast<int>(i));
  }
  EXPECT_EQ(*chunks[1].lo, "33333333-0000-0000-0000-000000000000");
}

TEST(UuidChunks, OneChunkIsEverythingAndTheCountIsClamped) {
  const auto one = uuid_chunks(0);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_FALSE(one[0].lo);
  EXPECT_FALSE(one[0].hi);
  EXPECT_EQ(uuid_chunks(100000).size(), 4096u);
}

TEST(BigintChunks, CoverTheIdsWithTheLastOneOpenForNewRows) {
  const auto chunks = bigint_chunks(1, 25, 10);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_FALSE(chunks[0].lo);
  EXPECT_EQ(chunks[0].hi, "11");
  EXPECT_EQ(chunks[1].lo, "11");
  EXPECT_EQ(chunks[1].hi, "21");
  EXPECT_EQ(chunks[2].lo, "21");
  EXPECT_FALSE(chunks[2].hi);
  EXPECT_EQ(bigint_chunks(5, 5, 10).size(), 1u);  // an empty or one-row table
  EXPECT_EQ(bigint_chunks(0, 0, 10).size(), 1u);
}

TEST(ChunkCount, RoundsUpAndStaysInBounds) {
  EXPECT_EQ(chunk_count(0, 50000), 1u);
  EXPECT_EQ(chunk_count(50000, 50000), 1u);
  EXPECT_EQ(chunk_count(50001, 50000), 2u);
  EXPECT_EQ(chunk_count(1'000'000'000, 100), 4096u);
}

TEST(RangePredicate, SaysWhatTheRangeMeans) {
  Chunk all;
  EXPECT_EQ(range_predicate("x.id", KeyKind::uuid, all), "true");
  Chunk both{1, "10", "20"};
  EXPECT_EQ(range_predicate("f.legacy_id", KeyKind::bigint, both),
            "f.legacy_id >= '10'::bigint AND f.legacy_id < '20'::bigint");
  Chunk upper{0, std::nullopt, "80000000-0000-0000-0000-000000000000"};
  EXPECT_EQ(range_predicate("x.id", KeyKind::uuid, upper),
            "x.id < '80000000-0000-0000-0000-000000000000'::uuid");
  EXPECT_EQ(range_predicate("x.id", KeyKind::none, both), "true");
  EXPECT_EQ(with_range("SELECT 1 WHERE :range", "a < 2"), "SELECT 1 WHERE (a < 2)");
  // Every :range, but neither a cast nor a longer name, nor one in a comment.
  EXPECT_EQ(with_range("-- :range\nSELECT 1 WHERE :range", "true"),
            "-- :range\nSELECT 1 WHERE (true)");
  EXPECT_EQ(with_range("SELECT x::range, :ranges WHERE :range", "true"),
            "SELECT x::range, :ranges WHERE (true)");
}

// A staged chunk's statements name the target and its staging table as quoted identifiers.
TEST(Staging, NamesTheTargetAndItsStagingTable) {
  const Staging s = staging("public.accounts", false);
  EXPECT_EQ(s.table, "dw_stage_accounts");
  EXPECT_NE(s.create.find("CREATE TEMP TABLE IF NOT EXISTS \"dw_stage_accounts\" "
                          "(LIKE \"public\".\"accounts\") ON COMMIT DELETE ROWS"),
            std::string::npos);
  EXPECT_NE(s.insert.find("INSERT INTO \"public\".\"accounts\" SELECT * FROM "
                          "\"dw_stage_accounts\"\n"),
            std::string::npos);
  EXPECT_NE(staging("dualwrite.merged_interactions", true)
                .insert.find("INSERT INTO \"dualwrite\".\"merged_interactions\" SELECT * FROM "
                             "\"dw_stage_merged_interactions\" ON CONFLICT DO NOTHING"),
            std::string::npos);
}

TEST(Steps, FillParentsBeforeChildrenAndEveryTargetTableOnce) {
  std::vector<std::string> names;
  for (const auto& s : steps()) names.push_back(s.name);
  auto at = [&](const std::string& n) {
    const auto it = std::find(names.begin(), names.end(), n);
    EXPECT_NE(it, names.end()) << n;
    return it - names.begin();
  };
  for (const char* child :
       {"account_user_links", "account_profiles", "account_settings", "activity_interactions",
        "recommendation_runs", "offline_interactions", "chat_sessions"}) {
    EXPECT_LT(at("accounts"), at(child)) << child;
  }
  EXPECT_LT(at("interaction_sources"), at("activity_interactions"));
  EXPECT_LT(at("recommendation_runs"), at("recommendation_items"));
  EXPECT_LT(at("recommendation_items"), at("recommendation_items.outcomes"));
  EXPECT_LT(at("activity_interactions"), at("recommendation_items.outcomes"));
  EXPECT_LT(at("chat_sessions"), at("chat_messages"));
  EXPECT_LT(at("chat_sessions"), at("chat_summaries"));
  // Dead letters last: the stream's account resolution and parent checks see the backfill.
  EXPECT_LT(at("chat_summaries"), at("dead_letters:account_metadata"));
  EXPECT_LT(at("dead_letters:chatbot_conversations"), at("dead_letters:chatbot_messages"));
  for (const auto& s : steps()) {
    if (s.kind == StepKind::copy) {
      EXPECT_NE(s.reader.find(":range"), std::string::npos) << s.name;
    }
    if (s.kind == StepKind::copy || s.kind == StepKind::interactions) {
      EXPECT_EQ(s.key == KeyKind::none, s.key_column.empty()) << s.name;
    }
  }
}

// The bridge's role only reads the application's catalog (activities.status is Phase 0's): no
// step touches it, and a plan recorded by a version that did is resumed with that step retired.
TEST(Steps, NoneWritesTheCatalog) {
  for (const auto& s : steps()) {
    EXPECT_NE(s.name, "activities.status");
    EXPECT_NE(s.target, "public.activities") << s.name;
    EXPECT_FALSE(is_retired_step(s.name)) << s.name;
  }
  EXPECT_TRUE(is_retired_step("activities.status"));
}

TEST(WithCommas, GroupsThousands) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(116691), "116,691");
  EXPECT_EQ(with_commas(18446744073709551615ULL), "18,446,744,073,709,551,615");
}

TEST(ProgressLine, ShowsRowsRateAndEta) {
  using std::chrono::duration;
  EXPECT_EQ(progress_line("accounts", 12000, 15000, duration<double>(1.0), false),
            "accounts: 12,000 rows of ~15,000 (80%), 12,000 rows/s, ETA 1 s");
  EXPECT_EQ(progress_line("chat_messages", 1234567, 0, duration<double>(2.0), false),
            "chat_messages: 1,234,567 rows, 617,283 rows/s");
  EXPECT_EQ(progress_line("accounts", 15000, 15000, duration<double>(2.0), true),
            "accounts: 15,000 rows in 2.0 s, 7,500 rows/s, done");
  // An estimate below what is already done shows the rows done, not a percentage above 100.
  EXPECT_EQ(progress_line("x", 200, 100, duration<double>(1.0), false),
            "x: 200 rows of ~200 (100%), 200 rows/s");
}

}  // namespace
}  // namespace dualwrite::backfill
