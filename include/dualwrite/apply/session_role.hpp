// The apply session's session_replication_role.
//
// For: putting an apply connection in session_replication_role = replica, as PostgreSQL's own
// apply worker runs, when that is safe and allowed: the target then skips the foreign keys'
// checks and actions and the ordinary triggers of the rows the bridge writes, and the apply
// statements (sql/apply/*.sql) do what those did for the schema of the migrations (migration
// 20261206000100). Safe: sql/apply/replica_role_blockers.sql finds no trigger, foreign key or
// rule they do not stand in for. Allowed: the role is a superuser or was granted SET ON
// PARAMETER session_replication_role. Otherwise the session keeps the default role, with the
// same results, and says why once per process.
// Not for: other sessions (the backfill's and the tools' keep the default role).
// Thread-safety: any thread, one connection per call; the "said once" memory is shared.
#pragma once

#include <string>
#include <vector>

#include "dualwrite/pg/connection.hpp"

namespace dualwrite::apply {

// What the blockers query found on this target (empty: nothing).
std::vector<std::string> replica_role_blockers(pg::Connection& conn);

// Enters session_replication_role = replica on `conn` when nothing blocks it and the role may
// set it; returns whether it did. Throws pg::DbError only for a lost connection or an
// unexpected server error.
bool enter_replica_role(pg::Connection& conn);

}  // namespace dualwrite::apply
