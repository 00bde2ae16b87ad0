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

// Walks `sql`; at each psql variable (outside comments and quotes) calls on_variable(name,
// quoted), which returns its replacement or nullptr to keep it. Returns the text with the
// replacements.
std::string fill(std::string_view sql,
                 const std::function<const std::string*(std::string_view, bool)>& on_variable) {
  std::string out;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (const auto end = skip_quoted(sql, i); end != i) {
      out.append(sql.substr(i, end - i));
      i = end;
    } else if (sql.substr(i, 2) == "::") {
      out.append("::");
      i += 2;
    } else if (sql[i] == ':' && i + 1 < sql.size() && sql[i + 1] == '"') {
      const auto close = sql.find('"', i + 2);
      if (close == std::string_view::npos) return out.append(sql.substr(i));
      const std::string* value = on_variable(sql.substr(i + 2, close - i - 2), true);
      out.append(value != nullptr ? std::string_view(*value) : sql.substr(i, close + 1 - i));
      i = close + 1;
    } else if (sql[i] == ':' && i + 1 < sql.size() &&
               (std::isalpha(static_cast<unsigned char>(sql[i + 1])) != 0 || sql[i + 1] == '_')) {
      std::size_t after = i + 1;
      while (after < sql.size() && is_name_char(sql[after])) ++after;
      const std::string* value = on_variable(sql.substr(i + 1, after - i - 1), false);
      out.append(value != nullptr ? std::string_view(*value) : sql.substr(i, after - i));
      i = after;
    } else {
      out += sql[i++];
    }
  }
  return out;
}

}  // namespace

std::string with_identifier(std::string_view sql, std::string_view variable,
                            std::string_view value) {
  const std::string quoted = quote_identifier(value);
  return fill(sql, [&](std::string_view name, bool is_quoted) {
    return is_quoted && name == variable ? &quoted : nullptr;
  });
}

std::string with_sql(std::string_view sql, std::string_view variable, std::string_view text) {
  const std::string value(text);
  return fill(sql, [&](std::string_view name, bool is_quoted) {
    return !is_quoted && name == variable ? &value : nullptr;
  });
}

bool is_template(std::string_view sql) {
  bool found = false;
  fill(sql, [&](std::string_view, bool) -> const std::string* {
    found = true;
    return nullptr;
  });
  return found;
}

}  // namespace dualwrite
