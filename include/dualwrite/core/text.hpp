// Small text helpers more than one stage needs: joining a list for a message, JSON string
// escaping, hex digits.
//
// For: building messages, JSON output (decode's `dualwrite decode`, the JSON log lines, the
// commands' --json) and parsing hex text (pgoutput dumps, UUIDs).
// Not for: SQL text (core/identifier.hpp quotes identifiers, pg::array_literal builds arrays),
// or parsing JSON (simdjson, in translate).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dualwrite {

// "a, b, c" for {"a", "b", "c"} with the default separator; "" for none.
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// Appends `text` as a quoted JSON string (RFC 8259): '"', '\\' and control characters escaped,
// valid UTF-8 passed through, each byte that is not part of valid UTF-8 replaced by U+FFFD, so
// the output is always valid JSON.
void append_json_string(std::string_view text, std::string& out);

// The value of one hex digit ('0'-'9', 'a'-'f', 'A'-'F'), or -1 for any other character.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace dualwrite
