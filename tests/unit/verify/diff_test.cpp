// The pure parts of verify: the key-list diff of a segment and the JSON it records.
#include <gtest/gtest.h>

#include "dualwrite/verify/verify.hpp"

namespace dualwrite::verify {
namespace {

using Rows = std::vector<KeyedRow>;
using Found = std::vector<Mismatch>;

TEST(DiffSorted, MissingExtraAndDifferentByKey) {
  const Rows expected{{"a", "1"}, {"b", "2"}, {"d", "4"}, {"f", "6"}};
  const Rows actual{{"b", "2"}, {"c", "3"}, {"d", "x"}, {"e", "5", true}, {"g", "7"}};
  Found found;
  diff_sorted(expected, actual, found);
  EXPECT_EQ(found, (Found{{"a", Problem::missing},
                          {"c", Problem::extra},
                          {"d", Problem::different},
                          {"f", Problem::missing},
                          {"g", Problem::extra}}));
}

TEST(DiffSorted, IgnoredOnlyMattersForUnexpectedRows) {
  // An expected row whose actual counterpart is marked ignorable is still compared.
  Found found;
  diff_sorted(Rows{{"a", "1"}}, Rows{{"a", "2", true}}, found);
  EXPECT_EQ(found, (Found{{"a", Problem::different}}));
}

TEST(DiffSorted, EmptySides) {
  Found found;
  diff_sorted(Rows{}, Rows{}, found);
  EXPECT_TRUE(found.empty());
  diff_sorted(Rows{{"a", "1"}}, Rows{}, found);
  diff_sorted(Rows{}, Rows{{"b", "1"}}, found);
  EXPECT_EQ(found, (Found{{"a", Problem::missing}, {"b", Problem::extra}}));
}

TEST(TableJson, TheRecordedFields) {
  TableResult t;
  t.table = "chat_messages";
  t.expected = 10;
  t.actual = 9;
  t.mismatches = 1;
  t.seconds = 0.5;
  t.listed = {{"k\"1", Problem::missing}};
  EXPECT_EQ(table_json(t, false),
            R"({"table":"chat_messages","expected":10,"actual":9,"mismatches":1,)"
            R"("rows_per_second":38.0})");
  EXPECT_EQ(table_json(t, true),
            R"({"table":"chat_messages","expected":10,"actual":9,"mismatches":1,)"
            R"("rows_per_second":38.0,"seconds":0.500,"first_look":0,)"
            R"("listed":[{"key":"k\"1","problem":"missing"}]})");
  EXPECT_EQ(json_string("a\\b\n\x01"), R"("a\\b\n\u0001")");
}

}  // namespace
}  // namespace dualwrite::verify
