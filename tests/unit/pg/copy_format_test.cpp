// The binary COPY format pieces (pg/copy.hpp), byte for byte as PostgreSQL's COPY reference
// describes them. That the server takes them is tested against a real one
// (tests/integration/apply: the staged statements).
#include <gtest/gtest.h>

#include <string>

#include "dualwrite/pg/copy.hpp"

namespace dualwrite::pg {
namespace {

using namespace std::string_literals;

TEST(CopyBinary, HeaderAndTrailer) {
  EXPECT_EQ(std::string(copy_binary::kHeader), "PGCOPY\n\xff\r\n\0"s + "\0\0\0\0"s + "\0\0\0\0"s);
  EXPECT_EQ(copy_binary::kHeader.size(), 19u);
  EXPECT_EQ(std::string(copy_binary::kTrailer), "\xff\xff"s);
}

TEST(CopyBinary, FieldsAreLengthPrefixedBigEndian) {
  std::string out;
  copy_binary::append_tuple_start(out, 3);
  copy_binary::append_int8(out, 258);
  copy_binary::append_field(out, "hé");
  copy_binary::append_null(out);
  EXPECT_EQ(
      out, "\0\3"s + "\0\0\0\x08"s + "\0\0\0\0\0\0\x01\x02"s + "\0\0\0\3hé"s + "\xff\xff\xff\xff"s);
}

TEST(CopyBinary, AnEmptyTextIsNotNull) {
  std::string out;
  copy_binary::append_field(out, "");
  EXPECT_EQ(out, "\0\0\0\0"s);
}

}  // namespace
}  // namespace dualwrite::pg
