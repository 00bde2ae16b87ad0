// The privileges the bridge's role needs, command by command, in one list.
//
// For: `dualwrite check` (reports each missing privilege as a FAIL line with the GRANT or CREATE
// POLICY that fixes it), `dualwrite bootstrap` (refuses before it creates a slot, an origin or a
// record when a privilege it needs is missing), and the test that holds the migrations to the
// list (tests/integration/privileges: the migrated role `dualwrite` has everything listed, and on
// the application's tables nothing more). A command that starts needing a new privilege adds it
// here and grants it in a migration; check and bootstrap then know about it.
// What each entry covers: a privilege on an object (table, every table of a schema, function,
// schema, the connected database) and, for a table under row-level security, a permissive
// policy that lets the role run each of those commands. Role attributes (REPLICATION) are not
// here: check has its own line for them.
// Where the SQL lives: sql/admin/missing_privileges.sql.
// Not for: granting anything (the migrations do, as the tables' owner), or the publication,
// which its owner creates and drops.
// Thread-safety: required_privileges() returns a fresh value; missing_privileges() uses a
// connection owned by the caller.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"

namespace dualwrite::admin {

// The commands that need a privilege, as bits.
enum CommandBit : unsigned {
  kCheck = 1u << 0,
  kBootstrap = 1u << 1,
  kRun = 1u << 2,
  kStatus = 1u << 3,
  kPeek = 1u << 4,
  kReplay = 1u << 5,
  kVerify = 1u << 6,
  kDeadLetters = 1u << 7,
  kDecommission = 1u << 8,
};
using Commands = unsigned;

// "bootstrap, run, replay" for kBootstrap | kRun | kReplay, in the order of CommandBit.
std::string command_names(Commands commands);

enum class Side { source, target };  // which configured connection the object is reached by
enum class ObjectKind { table, tables_in_schema, function, schema, database };

struct Requirement {
  Side side = Side::target;
  ObjectKind kind = ObjectKind::table;
  // "public.accounts"; the schema for tables_in_schema and schema; the signature for a function
  // ("pg_catalog.pg_replication_origin_drop(text)"); empty for the connected database.
  std::string object;
  std::vector<std::string> privileges;  // "SELECT", "INSERT", … "EXECUTE", "USAGE", "TEMPORARY"
  Commands commands = 0;                // who needs it
  std::string check;                    // the `dualwrite check` line it is reported under
};

// The check lines the requirements are reported under.
inline constexpr const char* kLegacyTablesCheck = "legacy tables";
inline constexpr const char* kSourcePrivilegesCheck = "source privileges";
inline constexpr const char* kTargetPrivilegesCheck = "target privileges";
inline constexpr const char* kOriginFunctionsCheck = "replication origin functions";

// Every requirement, the configured [source] tables included.
std::vector<Requirement> required_privileges(const config::Config& config);

// What a role lacks of one requirement.
struct Shortfall {
  Requirement requirement;
  std::string object;                   // as named in fixes (the database's name for database)
  bool object_missing = false;          // the object does not exist (migrations not applied)
  std::vector<std::string> privileges;  // privileges not granted
  std::vector<std::string> blocked;     // commands row-level security lets no policy run

  // The statements that fix it, for `role`: "GRANT SELECT ON public.x TO dualwrite", and/or
  // "CREATE POLICY …"; "; "-separated. Empty when the object is missing.
  std::string fix(const std::string& role) const;
  // One line: what is wrong, the fix, and the commands that need it: "role dualwrite lacks
  // INSERT on public.x: GRANT INSERT ON public.x TO dualwrite (needed by bootstrap, run)".
  std::string line(const std::string& role) const;
};

// The requirements of `side` among `requirements` that `role` lacks on `conn`, in list order.
// Throws apply::DbError.
std::vector<Shortfall> missing_privileges(apply::Connection& conn, const std::string& role,
                                          Side side, std::span<const Requirement> requirements);

}  // namespace dualwrite::admin
