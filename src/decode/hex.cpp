// Hex text -> bytes: see include/dualwrite/decode/hex.hpp.
#include "dualwrite/decode/hex.hpp"

#include <string>

#include "dualwrite/core/text.hpp"

namespace dualwrite::decode {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

Status parse_hex(std::string_view text, std::vector<std::byte>& out) {
  out.clear();
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_blank(text[begin])) ++begin;
  while (end > begin && is_blank(text[end - 1])) --end;
  if (end - begin >= 2 && text[begin] == '\\' && text[begin + 1] == 'x') begin += 2;
  if ((end - begin) % 2 != 0) {
    return make_error(ErrorDomain::decode, "odd number of hex digits (" +
                                               std::to_string(end - begin) +
                                               ") ending at character " + std::to_string(end));
  }
  out.reserve((end - begin) / 2);
  for (std::size_t i = begin; i < end; i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      const std::size_t bad = hi < 0 ? i : i + 1;
      const char c = text[bad];
      std::string shown = (c >= 0x20 && c < 0x7f)
                              ? std::string("'") + c + "'"
                              : "byte " + std::to_string(static_cast<unsigned char>(c));
      return make_error(ErrorDomain::decode,
                        "invalid hex digit " + shown + " at character " + std::to_string(bad + 1));
    }
    out.push_back(static_cast<std::byte>(hi * 16 + lo));
  }
  return Ok{};
}

}  // namespace dualwrite::decode
