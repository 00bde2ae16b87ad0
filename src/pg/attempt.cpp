#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::pg {

ErrorDomain domain_of(const DbError& error, ErrorDomain side) {
  const std::string_view sqlstate = error.sqlstate();
  const std::string_view message = error.what();
  // "replication slot "x" does not exist" (42704), "can no longer get changes from replication
  // slot "x"" (55000, an invalidated slot): the SQLSTATEs are shared with other objects, the
  // message says which.
  if ((sqlstate == "42704" || sqlstate == "55000") &&
      message.find("replication slot") != std::string_view::npos) {
    return ErrorDomain::slot_lost;
  }
  return side;
}

std::string one_line(std::string_view text) {
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
    if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  }
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += "; ";
    } else if (c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
  return out;
}

}  // namespace dualwrite::pg
