// quote_identifier: a name as a double-quoted PostgreSQL identifier; quote_literal: a text as a
// quoted string literal.
//
// For: table, publication and role names built into SQL text, and the items of pgoutput's
// publication_names option (which it splits as a list of identifiers), whatever the name holds;
// a value in a statement that cannot take $n parameters (the replication connection speaks the
// simple query protocol only). A statement file that is a template names its table as :"name"
// and such a value as :'name' (core/sql_template.hpp).
// Not for: messages meant to be read (admin::quote_ident leaves plain names bare), or values a
// statement can take as parameters.
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

// it's as 'it''s'; a text holding a backslash as E'a\\b', its backslashes doubled too, after a
// space: as PQescapeLiteral writes it, read the same whatever standard_conforming_strings says.
inline std::string quote_literal(std::string_view text) {
  const bool escaped = text.find('\\') != std::string_view::npos;
  std::string out = escaped ? " E'" : "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

// "schema.table" as "schema"."table" (a name without a dot: one quoted identifier). For the
// program's own table names, which hold no dot in a part.
inline std::string quote_qualified(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) return quote_identifier(name);
  return quote_identifier(name.substr(0, dot)) + "." + quote_identifier(name.substr(dot + 1));
}

}  // namespace dualwrite
