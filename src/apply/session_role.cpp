#include "dualwrite/apply/session_role.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "dualwrite/apply/statements.hpp"

namespace dualwrite::apply {
namespace {

// Why the last session kept the default role, so that a daemon reconnecting every few seconds
// says it once, and says it again when the reason changes.
void say_once(const std::string& why) {
  static std::mutex mutex;
  static std::string said;
  const std::lock_guard lock(mutex);
  if (why == said) return;
  said = why;
  if (why.empty()) {
    spdlog::info("apply sessions run with session_replication_role = replica");
  } else {
    spdlog::warn(
        "apply sessions keep the default session_replication_role ({}): the target "
        "runs its foreign keys and triggers itself, which is slower",
        why);
  }
}

}  // namespace

std::vector<std::string> replica_role_blockers(pg::Connection& conn) {
  const auto result = conn.query(replica_role_blockers_sql());
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(result.get()); ++i)
    out.emplace_back(PQgetvalue(result.get(), i, 0));
  return out;
}

bool enter_replica_role(pg::Connection& conn) {
  const auto blockers = replica_role_blockers(conn);
  if (!blockers.empty()) {
    std::string list;
    for (const auto& b : blockers) list += (list.empty() ? "" : ", ") + b;
    say_once("the statements do not stand in for " + list +
             " (sql/apply/replica_role_blockers.sql)");
    return false;
  }
  try {
    conn.exec(replica_role_session_setup_sql());
  } catch (const pg::DbError& e) {
    if (e.connection_lost() || e.sqlstate() != "42501") throw;
    say_once(
        "the role may not set it: GRANT SET ON PARAMETER session_replication_role TO it, "
        "as migration 20261206000100 does when run by a superuser");
    return false;
  }
  say_once("");
  return true;
}

}  // namespace dualwrite::apply
