// quote_identifier: a name as a double-quoted PostgreSQL identifier.
//
// For: table, publication and role names built into SQL text, and the items of pgoutput's
// publication_names option (which it splits as a list of identifiers), whatever the name holds.
// A statement file that is a template names its table as :"name" (core/sql_template.hpp).
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

// "schema.table" as "schema"."table" (a name without a dot: one quoted identifier). For the
// program's own table names, which hold no dot in a part.
inline std::string quote_qualified(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return quote_identifier(name);
  return quote_identifier(name.substr(0, dot)) + "." + quote_identifier(name.substr(dot + 1));
}

}  // namespace dualwrite
