// quote_identifier: a name as a double-quoted PostgreSQL identifier.
//
// For: table, publication and role names built into SQL text, and the items of pgoutput's
// publication_names option (which it splits as a list of identifiers), whatever the name holds.
// Not for: messages meant to be read (admin::quote_ident leaves plain names bare).
#pragma once

#include <string>
#include <string_view>

namespace dualwrite {

// "Pub" stays "Pub" (case kept), a '"' is doubled.
inline std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace dualwrite
