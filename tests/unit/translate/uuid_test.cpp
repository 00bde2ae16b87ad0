#include "dualwrite/translate/uuid.hpp"

#include <gtest/gtest.h>

namespace dualwrite::translate {
namespace {

// Each expected value was computed by PostgreSQL 15's uuid-ossp:
//   SELECT uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', name);
// The integration tests compare against the server again on every run.
TEST(UuidV5, MatchesUuidOssp) {
  const std::pair<const char*, const char*> vectors[] = {
      {"activity_feedback:1", "369f20a0-35e7-53ce-8348-7fd91b9e9391"},
      {"activity_feedback:9223372036854775807", "192dc86f-edf8-56c3-a5ab-ee170d538ad2"},
      {"ai_suggestions:0d3e7a2c-5b8f-4f0e-9a51-2c7d1e3b4a60:1",
       "93b06880-a892-5534-9131-3f06893076cf"},
      {"offline_likes:11111111-2222-3333-4444-555555555555:café-lisboa",
       "65e458df-8d9f-5a10-9a97-609abbbf3b14"},
      {"", "48836b89-4e58-541c-ac62-716d620e2fd7"},
  };
  for (const auto& [name, expected] : vectors) {
    EXPECT_EQ(std::string(view(mapping_uuid(name))), expected) << name;
  }
}

TEST(UuidV5, ParsesAndFormatsCanonicalText) {
  const auto bytes = parse_uuid("B8D3C6A2-5F1E-4C07-9E3A-6D2F1A0B7C45");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(std::string(view(format_uuid(*bytes))), kMappingNamespace);
  EXPECT_FALSE(parse_uuid("b8d3c6a25f1e4c079e3a6d2f1a0b7c45"));
  EXPECT_FALSE(parse_uuid("b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c4g"));
  EXPECT_FALSE(parse_uuid("b8d3c6a2-5f1e-4c07-9e3a_6d2f1a0b7c45"));
}

}  // namespace
}  // namespace dualwrite::translate
