#include "dualwrite/core/sql_template.hpp"

#include <cctype>
#include <functional>

#include "dualwrite/core/identifier.hpp"

namespace dualwrite {

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The end of the comment, quoted literal or quoted identifier starting at `i`, or `i` when none
// starts there.
std::size_t skip_quoted(std::string_view sql, std::size_t i) {
  if (sql.substr(i, 2) == "--") {
    const auto end = sql.find('\n', i);
    return end == std::string_view::npos ? sql.size() : end;
  }
  if (sql.substr(i, 2) == "/*") {
    const auto end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  if (sql[i] == '\'' || sql[i] == '"') {
    const char quote = sql[i];
    std::size_t j = i + 1;
    while (j < sql.size()) {
      if (sql[j] != quote) {
        ++j;
      } else if (j + 1 < sql.size() && sql[j + 1] == quote) {
        j += 2;  // a doubled quote stands for itself
      } else {
        return j + 1;
      }
    }
    return sql.size();
  }
  return i;
}

// How a psql variable is filled: :name as SQL text, :"name" as an identifier, :'name' as a
// literal.
enum class Hole { sql, identifier, literal };

// Walks `sql`; at each psql variable (outside comments and quotes) calls on_variable(name,
// hole), which returns its replacement or nullptr to keep it. Returns the text with the
// replacements.
std::string fill(std::string_view sql,
                 const std::function<const std::string*(std::string_view, Hole)>& on_variable) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (const auto end = skip_quoted(sql, i); end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (sql.substr(i, 2) == "::") {
      out.append("::");
      i += 2;
    } else if (sql[i] == ':' && i + 1 < sql.size() && (sql[i + 1] == '"' || sql[i + 1] == '\'')) {
      const char quote = sql[i + 1];
      const auto close = sql.find(quote, i + 2);
      if (close == std::string_view::npos) return out.append(sql.substr(i));
      const std::string* value = on_variable(sql.substr(i + 2, close - i - 2),
                                             quote == '"' ? Hole::identifier : Hole::literal);
      out.append(value != nullptr ? std::string_view(*value) : sql.substr(i, close + 1 - i));
      i = close + 1;
    } else if (sql[i] == ':' && i + 1 < sql.size() &&
               (std::isalpha(static_cast<unsigned char>(sql[i + 1])) != 0 || sql[i + 1] == '_')) {
      std::size_t after = i + 1;
      while (after < sql.size() && is_name_char(sql[after])) ++after;
      const std::string* value = on_variable(sql.substr(i + 1, after - i - 1), Hole::sql);
      out.append(value != nullptr ? std::string_view(*value) : sql.substr(i, after - i));
      i = after;
    } else {
      out += sql[i++];
    }
  }
  return out;
}

// `sql` with every variable `variable` filled as `hole` replaced by `value`.
std::string with(std::string_view sql, Hole hole, std::string_view variable,
                 const std::string& value) {
  return fill(sql, [&](std::string_view name, Hole h) {
    return h == hole && name == variable ? &value : nullptr;
  });
}

}  // namespace

std::string with_identifier(std::string_view sql, std::string_view variable,
                            std::string_view value) {
  return with(sql, Hole::identifier, variable, quote_identifier(value));
}

std::string with_literal(std::string_view sql, std::string_view variable, std::string_view value) {
  return with(sql, Hole::literal, variable, quote_literal(value));
}

std::string with_sql(std::string_view sql, std::string_view variable, std::string_view text) {
  return with(sql, Hole::sql, variable, std::string(text));
}

bool is_template(std::string_view sql) {
  bool found = false;
  fill(sql, [&](std::string_view, Hole) -> const std::string* {
    found = true;
    return nullptr;
  });
  return found;
}

}  // namespace dualwrite
