#include "dualwrite/admin/privileges.hpp"

#include <cctype>
#include <cstdlib>
#include <utility>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/core/text.hpp"
#include "dualwrite/sql/admin.hpp"

namespace dualwrite::admin {

namespace {

// Who writes the new tables and dead letters: the daemon, the backfill's stream-like steps, a
// replay and a retried dead letter all apply through the same Applier.
constexpr Commands kAppliers = kRun | kBootstrap | kReplay | kDeadLetters;
// Who reads where the bridge stands (admin::read_positions: the origin's progress).
constexpr Commands kPositionReaders =
    kCheck | kRun | kStatus | kPeek | kReplay | kVerify | kDecommission | kBootstrap;

Requirement need(Side side, ObjectKind kind, std::string object,
                 std::vector<std::string> privileges, Commands commands, const char* check) {
  return Requirement{side, kind, std::move(object), std::move(privileges), commands, check};
}

void add_target(std::vector<Requirement>& out) {
  const auto T = Side::target;
  const char* privileges = kTargetPrivilegesCheck;
  out.push_back(need(T, ObjectKind::schema, "public", {"USAGE"}, kAppliers | kVerify, privileges));
  out.push_back(need(T, ObjectKind::schema, "dualwrite", {"USAGE"},
                     kAppliers | kPositionReaders | kDeadLetters, privileges));
  for (const char* table : kTargetTables) {
    out.push_back(need(T, ObjectKind::table, std::string("public.") + table,
                       {"SELECT", "INSERT", "UPDATE", "DELETE"}, kAppliers | kVerify, privileges));
  }
  // The children the apply deletes with a chat session or a recommendation run, as the foreign
  // keys' cascades would (sql/apply/session_delete.sql, suggestion_delete.sql; migration
  // 20261206000100).
  for (const char* table : {"public.chat_session_metrics", "public.recommendation_feedback"}) {
    out.push_back(need(T, ObjectKind::table, table, {"SELECT", "DELETE"}, kAppliers, privileges));
  }
  // A change names its activity by slug; the apply looks the catalog id up (mapping.md).
  out.push_back(need(T, ObjectKind::table, "public.activities", {"SELECT"}, kAppliers, privileges));
  // Letters are resolved, never deleted: no DELETE.
  out.push_back(need(T, ObjectKind::table, "dualwrite.dead_letters", {"SELECT", "INSERT", "UPDATE"},
                     kAppliers | kStatus | kDecommission, privileges));
  out.push_back(need(T, ObjectKind::table, "dualwrite.merged_interactions",
                     {"SELECT", "INSERT", "DELETE"}, kAppliers, privileges));
  for (const char* table : {"dualwrite.bootstrap", "dualwrite.bootstrap_chunks"}) {
    out.push_back(need(T, ObjectKind::table, table, {"SELECT", "INSERT", "UPDATE"},
                       kBootstrap | kRun | kCheck | kStatus | kDecommission, privileges));
  }
  // What `run` was told to leave behind (--accept-gap-from, --skip-backfill), which status and
  // verify report.
  out.push_back(need(T, ObjectKind::table, "dualwrite.stream_gaps", {"SELECT", "INSERT"},
                     kRun | kStatus | kVerify, privileges));
  out.push_back(need(T, ObjectKind::table, "dualwrite.verify_runs", {"SELECT", "INSERT", "UPDATE"},
                     kVerify | kRun | kStatus | kDecommission, privileges));
  out.push_back(
      need(T, ObjectKind::table, "dualwrite.schema_migrations", {"SELECT"}, kCheck, privileges));
  // An UPDATE of a like or bookmark (sql/apply/feedback_update.sql); the rest of the apply is
  // plain set-based SQL (outcomes and unlikes no longer go through functions).
  out.push_back(need(T, ObjectKind::function,
                     "dualwrite.put_unique_interaction(public.activity_interactions, boolean)",
                     {"EXECUTE"}, kAppliers, privileges));
  // The catalog rows the apply's rows name, locked as their foreign keys would lock them
  // (migration 20261206000100).
  out.push_back(need(T, ObjectKind::function, "dualwrite.lock_activities(text[], uuid[])",
                     {"EXECUTE"}, kAppliers, privileges));
  // The apply's scratch tables, empty between its transactions (migration 20261204000700: not
  // temporary tables, whose drop at a backend's exit would move the replication origin).
  for (const char* table : {"dualwrite.apply_deleted_links", "dualwrite.apply_outcome_keys"}) {
    out.push_back(need(T, ObjectKind::table, table, {"SELECT", "INSERT", "UPDATE", "DELETE"},
                       kAppliers, privileges));
  }
  // The stage of large statements (migration 20261205000200): COPYed in, read and deleted.
  out.push_back(need(T, ObjectKind::table, "dualwrite.apply_stage", {"SELECT", "INSERT", "DELETE"},
                     kAppliers, privileges));
  // The backfill's writer and reader keep temporary tables (they set no replication origin).
  out.push_back(need(T, ObjectKind::database, "", {"TEMPORARY"}, kBootstrap, privileges));

  // The replication-origin functions, which PostgreSQL revokes from PUBLIC.
  const char* origins = kOriginFunctionsCheck;
  const std::pair<const char*, Commands> functions[] = {
      {"pg_replication_origin_create(text)", kRun | kBootstrap},
      {"pg_replication_origin_oid(text)", kRun | kBootstrap},
      {"pg_replication_origin_advance(text, pg_lsn)", kRun | kBootstrap},
      {"pg_replication_origin_session_setup(text)", kRun},
      // Given back and taken again around a transaction applied live (apply/live.hpp).
      {"pg_replication_origin_session_reset()", kRun},
      {"pg_replication_origin_session_is_setup()", kRun},
      {"pg_replication_origin_xact_setup(pg_lsn, timestamp with time zone)", kRun},
      {"pg_replication_origin_progress(text, boolean)", kPositionReaders},
      {"pg_replication_origin_drop(text)", kDecommission},
  };
  for (const auto& [fn, commands] : functions) {
    out.push_back(need(T, ObjectKind::function, std::string("pg_catalog.") + fn, {"EXECUTE"},
                       commands, origins));
  }
}

void add_source(std::vector<Requirement>& out, const config::Config& config) {
  const auto S = Side::source;
  // The backfill reads the legacy tables in its snapshot (the rows it dead-letters, key ranges),
  // and `run`, creating a missing slot, looks for rows in them (a populated database that was
  // never bootstrapped is refused): under row-level security without a policy both would see
  // none, silently. The stream itself needs no table privilege (the walsender decodes WAL).
  for (const auto& table : config.source.tables) {
    out.push_back(need(S, ObjectKind::table, "public." + table, {"SELECT"}, kBootstrap | kRun,
                       kLegacyTablesCheck));
  }
  // mapping.md as views over the legacy tables: what bootstrap copies and verify compares. The
  // views read the legacy tables with their owner's rights, so reading a view is all it takes.
  // (The backfill's reader also keeps a temporary table and reads schema public; bootstrap
  // refuses a target other than the source database, so the target's entries cover those.)
  const char* privileges = kSourcePrivilegesCheck;
  const Commands readers = kBootstrap | kVerify;
  out.push_back(need(S, ObjectKind::schema, "dualwrite_expected", {"USAGE"}, readers, privileges));
  out.push_back(
      need(S, ObjectKind::tables_in_schema, "dualwrite_expected", {"SELECT"}, readers, privileges));
  out.push_back(need(S, ObjectKind::function, "dualwrite_expected.v5(text)", {"EXECUTE"}, readers,
                     privileges));
}

const char* kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::table:
      return "table";
    case ObjectKind::tables_in_schema:
      return "tables_in_schema";
    case ObjectKind::function:
      return "function";
    case ObjectKind::schema:
      return "schema";
    case ObjectKind::database:
      return "database";
  }
  return "table";
}

std::vector<std::string> text_array(const PGresult* r, int row, int col) {
  // A one-dimensional array of plain words (privilege names): {A,B}.
  std::string text = PQgetvalue(r, row, col);
  std::vector<std::string> out;
  if (text.size() < 2) return out;
  std::string item;
  for (char c : text.substr(1, text.size() - 2)) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (c != '"') {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

// The policy statements that let `role` run the `blocked` commands on `table`.
std::string policy_fix(const std::string& table, const std::vector<std::string>& blocked,
                       const std::vector<std::string>& required, const std::string& role) {
  const std::string to = " TO " + quote_ident(role);
  if (blocked == required && required.size() == 1 && required[0] == "SELECT") {
    return "CREATE POLICY dualwrite_read ON " + table + " FOR SELECT" + to + " USING (true)";
  }
  if (blocked == required) {
    return "CREATE POLICY dualwrite_all ON " + table + " FOR ALL" + to +
           " USING (true) WITH CHECK (true)";
  }
  std::vector<std::string> statements;
  for (const auto& command : blocked) {
    std::string name = "dualwrite_" + command;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string clauses = command == "INSERT"   ? " WITH CHECK (true)"
                          : command == "UPDATE" ? " USING (true) WITH CHECK (true)"
                                                : " USING (true)";
    statements.push_back("CREATE POLICY " + name + " ON " + table + " FOR " + command + to +
                         clauses);
  }
  return join(statements, "; ");
}

}  // namespace

std::string command_names(Commands commands) {
  static const std::pair<CommandBit, const char*> names[] = {{kCheck, "check"},
                                                             {kBootstrap, "bootstrap"},
                                                             {kRun, "run"},
                                                             {kStatus, "status"},
                                                             {kPeek, "peek"},
                                                             {kReplay, "replay"},
                                                             {kVerify, "verify"},
                                                             {kDeadLetters, "dead-letters"},
                                                             {kDecommission, "decommission"}};
  std::vector<std::string> out;
  for (const auto& [bit, name] : names) {
    if (commands & bit) out.emplace_back(name);
  }
  return join(out);
}

std::vector<Requirement> required_privileges(const config::Config& config) {
  std::vector<Requirement> out;
  add_source(out, config);
  add_target(out);
  return out;
}

std::string Shortfall::fix(const std::string& role) const {
  if (object_missing) return {};
  std::vector<std::string> statements;
  const std::string to = " TO " + quote_ident(role);
  if (!privileges.empty()) {
    const std::string list = join(privileges);
    switch (requirement.kind) {
      case ObjectKind::table:
        statements.push_back("GRANT " + list + " ON " + object + to);
        break;
      case ObjectKind::tables_in_schema:
        statements.push_back("GRANT " + list + " ON ALL TABLES IN SCHEMA " + object + to);
        break;
      case ObjectKind::function:
        statements.push_back("GRANT " + list + " ON FUNCTION " + object + to);
        break;
      case ObjectKind::schema:
        statements.push_back("GRANT " + list + " ON SCHEMA " + object + to);
        break;
      case ObjectKind::database:
        statements.push_back("GRANT " + list + " ON DATABASE " + quote_ident(object) + to);
        break;
    }
  }
  if (!blocked.empty()) {
    statements.push_back(policy_fix(object, blocked, requirement.privileges, role));
  }
  return join(statements, "; ");
}

std::string Shortfall::line(const std::string& role) const {
  const std::string name = requirement.kind == ObjectKind::tables_in_schema
                               ? "the tables of schema " + object
                           : requirement.kind == ObjectKind::database ? "database " + object
                           : requirement.kind == ObjectKind::schema   ? "schema " + object
                                                                      : object;
  const std::string needed_by = " (needed by " + command_names(requirement.commands) + ")";
  if (object_missing) return name + " does not exist: apply the migrations" + needed_by;
  std::string out;
  if (!privileges.empty()) out = "role " + role + " lacks " + join(privileges) + " on " + name;
  if (!blocked.empty()) {
    if (!out.empty()) out += ", and ";
    out += name + " has row-level security and no policy lets role " + role +
           (blocked.size() == 1 && blocked[0] == "SELECT"
                ? " read it (it would read no rows)"
                : " " + join(blocked, "/") + " it (it would see or write no rows)");
  }
  const bool catalog = object.rfind("pg_catalog.", 0) == 0;
  return out + ": " + fix(role) + (catalog ? " (as a superuser)" : "") + needed_by;
}

std::vector<Shortfall> missing_privileges(apply::Connection& conn, const std::string& role,
                                          Side side, std::span<const Requirement> requirements) {
  std::vector<const Requirement*> asked;
  std::vector<std::string> kinds, objects, privileges;
  for (const auto& r : requirements) {
    if (r.side != side) continue;
    asked.push_back(&r);
    kinds.emplace_back(kind_name(r.kind));
    objects.push_back(r.object);
    privileges.push_back(join(r.privileges, ","));
  }
  std::vector<Shortfall> out;
  if (asked.empty()) return out;
  const std::string k = pg::array_literal(kinds), o = pg::array_literal(objects),
                    p = pg::array_literal(privileges);
  auto rows =
      conn.query(sql::admin::missing_privileges, {role.c_str(), k.c_str(), o.c_str(), p.c_str()});
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    const auto n =
        static_cast<std::size_t>(std::strtoul(PQgetvalue(rows.get(), i, 0), nullptr, 10));
    Shortfall s;
    s.requirement = *asked.at(n - 1);
    s.object_missing = *PQgetvalue(rows.get(), i, 1) != 't';
    s.privileges = text_array(rows.get(), i, 2);
    s.blocked = text_array(rows.get(), i, 3);
    s.object = PQgetvalue(rows.get(), i, 4);
    if (s.object_missing || !s.privileges.empty() || !s.blocked.empty())
      out.push_back(std::move(s));
  }
  return out;
}

}  // namespace dualwrite::admin
