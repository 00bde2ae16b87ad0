#include "dualwrite/core/text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dualwrite {
namespace {

TEST(Join, SeparatesItemsAndLeavesTheEndsBare) {
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({"a", "b"}, " or "), "a or b");
  EXPECT_EQ(join({"only"}), "only");
  EXPECT_EQ(join({}), "");
}

TEST(Join, KeepsEmptyItems) {
  EXPECT_EQ(join({"", "b", ""}, ","), ",b,");
}

TEST(HexValue, ReadsBothCasesAndRefusesTheRest) {
  EXPECT_EQ(hex_value('0'), 0);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('a'), 10);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('g'), -1);
  EXPECT_EQ(hex_value('G'), -1);
  EXPECT_EQ(hex_value(' '), -1);
  EXPECT_EQ(hex_value('\0'), -1);
  static_assert(hex_value('c') == 12, "usable in constant expressions");
}

std::string json(std::string_view text) {
  std::string out;
  append_json_string(text, out);
  return out;
}

TEST(AppendJsonString, QuotesAndEscapes) {
  EXPECT_EQ(json(""), "\"\"");
  EXPECT_EQ(json("plain"), "\"plain\"");
  EXPECT_EQ(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
}

TEST(AppendJsonString, AppendsToWhatIsThere) {
  std::string out = "{\"k\":";
  append_json_string("v", out);
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

TEST(AppendJsonString, PassesValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(json("a\xFFz"), "\"a\xEF\xBF\xBDz\"");                              // not UTF-8 at all
  EXPECT_EQ(json("\xC3"), "\"\xEF\xBF\xBD\"");                                  // cut short
  EXPECT_EQ(json("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  EXPECT_EQ(json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
}

}  // namespace
}  // namespace dualwrite
