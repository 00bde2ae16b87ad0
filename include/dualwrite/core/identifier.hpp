// quote_identifier: a name as a double-quoted PostgreSQL identifier; with_identifier: a statement
// file's identifier placeholder filled with one.
//
// For: table, publication and role names built into SQL text, and the items of pgoutput's
// publication_names option (which it splits as a list of identifiers), whatever the name holds.
// A statement file (sql/<stage>/*.sql) that is a template for several tables names its table as
// a psql variable, :"name", so that it stays runnable in psql (\set name value); the program
// fills it with with_identifier, which quotes the value the way psql does.
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

// `sql` with every :"variable" replaced by quote_identifier(value). A `::"type"` cast is not a
// placeholder and stays.
inline std::string with_identifier(std::string_view sql, std::string_view variable,
                                   std::string_view value) {
  const std::string placeholder = ":\"" + std::string(variable) + "\"";
  const std::string quoted = quote_identifier(value);
  std::string out;
  std::size_t from = 0;
  for (auto at = sql.find(placeholder); at != std::string_view::npos;
       at = sql.find(placeholder, at + placeholder.size())) {
    if (at > 0 && sql[at - 1] == ':') continue;
    out.append(sql.substr(from, at - from)).append(quoted);
    from = at + placeholder.size();
  }
  return out.append(sql.substr(from));
}

}  // namespace dualwrite
