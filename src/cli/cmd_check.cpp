// `dualwrite check`: the preflight. Read-only: it connects as the configured roles and looks,
// one line per check:
//
//   ok   <check>: <what was found>
//   warn <check>: <what is odd, and what will happen about it>
//   FAIL <check>: <what is wrong and how to fix it>
//
// Source: reachable; PostgreSQL >= 15; wal_level = logical; a free replication slot (unless ours
// exists) and a free WAL sender (unless the daemon holds one); the role may replicate and read
// the [source] tables (privilege, and a policy where row-level security applies) and the
// expected-state views; the publication covers exactly those tables; the slot, when it exists,
// is pgoutput in this database and not invalidated; every legacy table has a usable replica
// identity.
// Target: reachable; the role has every privilege a command needs there (the tables the bridge
// writes, dead letters and its bookkeeping, the catalog it reads, its functions, temporary
// tables, the replication-origin functions); uuid-ossp and pgcrypto installed (vector optional);
// every migration of sql/migrations/ recorded in dualwrite.schema_migrations; origin and
// bootstrap state.
// The privileges come from one list, admin::required_privileges() (admin/privileges.hpp), which
// bootstrap also checks before it creates anything: a missing one is a FAIL line with the GRANT
// (or CREATE POLICY) that fixes it and the commands that need it.
//
// Exit status: 0 when nothing FAILs (warnings allowed); otherwise the code of the first failing
// check's domain: 2 config (e.g. a [source] table that does not exist, an unreadable password
// file), 4 source, 5 target, 6 the slot is invalidated, or missing while the origin has progress
// (as `run` exits for both).
// A failing query fails its own check only; the others still run.
//
// The checks are one table (kChecks below), in the order they print: each row names the check,
// the side it asks, its query, the parameters it passes, the verdict that turns the rows into
// ok/warn/FAIL lines, and the fix a FAIL line gives. Where the SQL lives: sql/check/*.sql, one
// file per check (embedded at build time by dw_embed_sql(check), PREPAREd by
// tests/integration/sql); the privileges come from sql/admin/missing_privileges.sql, the
// migrations and the bootstrap record from the admin stage (admin/inspect.hpp).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/admin/privileges.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/text.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/check.hpp"

namespace dualwrite::cli {

namespace {

using admin::Side;

// The tables the bridge writes.
constexpr const auto& written_tables = admin::kTargetTables;

class Report {
 public:
  void ok(const std::string& check, const std::string& detail) { line("ok  ", check, detail); }
  void warn(const std::string& check, const std::string& detail) {
    ++warnings_;
    line("warn", check, detail);
  }
  void fail(ErrorDomain domain, const std::string& check, const std::string& detail) {
    if (failures_++ == 0) first_failure_ = domain;
    line("FAIL", check, detail);
  }
  // Runs one check; a database error fails that check, in `domain`, and nothing else.
  void guard(ErrorDomain domain, const std::string& check, const std::function<void()>& body) {
    if (auto done = pg::attempt(domain, body); !done) {
      fail(done.error().domain, check, "query failed: " + pg::one_line(done.error().message));
    }
  }
  int exit_status() const { return failures_ == 0 ? 0 : exit_code(first_failure_); }
  void summary() const {
    std::printf("%d checks: %d failed, %d warning%s\n", checks_, failures_, warnings_,
                warnings_ == 1 ? "" : "s");
  }

 private:
  void line(const char* level, const std::string& check, const std::string& detail) {
    ++checks_;
    std::printf("%s %s: %s\n", level, check.c_str(), detail.c_str());
    std::fflush(stdout);
  }
  int checks_ = 0;
  int failures_ = 0;
  int warnings_ = 0;
  ErrorDomain first_failure_ = ErrorDomain::internal;
};

std::string public_table(const std::string& name) {
  return "public." + admin::quote_ident(name);
}

bool is_true(const PGresult* r, int row, int col) {
  return *PQgetvalue(r, row, col) == 't';
}

std::string text(const PGresult* r, int row, int col) {
  return PQgetvalue(r, row, col);
}

int number(const PGresult* r, int row, int col) {
  return std::atoi(PQgetvalue(r, row, col));
}

// A fix text with each {name} field replaced by its value (the fix names the publication, the
// role, the table … the check found).
std::string fill(std::string_view text,
                 std::initializer_list<std::pair<std::string_view, std::string>> values) {
  std::string out(text);
  for (const auto& [name, value] : values) {
    const std::string field = "{" + std::string(name) + "}";
    for (auto at = out.find(field); at != std::string::npos;
         at = out.find(field, at + value.size())) {
      out.replace(at, field.size(), value);
    }
  }
  return out;
}

// One `dualwrite check` run: the configuration, the connections reached, the report, and what
// the checks found that later checks build on.
struct Run {
  explicit Run(const config::Config& config)
      : cfg(config), requirements(admin::required_privileges(config)) {}

  const config::Config& cfg;
  std::vector<admin::Requirement> requirements;
  Report report;
  apply::Connection* source = nullptr;  // null when it could not be reached
  apply::Connection* target = nullptr;
  std::string source_role;            // server version
  std::string source_database;        // server version
  std::string target_role;            // target privileges
  std::vector<std::string> existing;  // legacy tables: the [source] tables that exist
  bool slot_exists = false;           // slot

  apply::Connection& on(Side side) const { return side == Side::source ? *source : *target; }
};

using Params = std::vector<std::string>;

// One line of the preflight (or a few, for checks that report each problem on its own).
struct Check {
  const char* name;  // as its lines name it
  Side side;         // the connection it asks; a failing query fails in that side's domain
  // Its query, sql/check/<file>.sql; empty when the verdict asks the admin stage instead.
  std::string_view query;
  Params (*params)(const Run&);  // the query's parameters; nullptr: none
  // Reports the check from the query's rows (nullptr without a query).
  void (*verdict)(Run&, const Check&, const PGresult*);
  // What a FAIL line tells the operator to do; its {name} fields are filled in by the verdict.
  std::string_view fix;
};

ErrorDomain domain_of(Side side) {
  return side == Side::source ? ErrorDomain::source : ErrorDomain::target;
}

void fail(Run& run, const Check& check, const std::string& detail) {
  run.report.fail(domain_of(check.side), check.name, detail);
}

// Reports what `role` lacks of the requirements of `check` (admin/privileges.hpp): one FAIL line
// per object (what is missing, the statement that fixes it, the commands that need it), the
// objects that do not exist at all on one line. Returns whether nothing is missing.
bool report_requirements(Run& run, const Check& check, const std::string& role) {
  std::vector<admin::Requirement> mine;
  for (const auto& r : run.requirements) {
    if (r.check == check.name) mine.push_back(r);
  }
  std::vector<std::string> absent;
  bool good = true;
  for (const auto& shortfall :
       admin::missing_privileges(run.on(check.side), role, check.side, mine)) {
    good = false;
    if (shortfall.object_missing) {
      // The legacy tables line names the [source] tables that do not exist itself.
      const auto kind = shortfall.requirement.kind;
      const std::string name =
          kind == admin::ObjectKind::schema || kind == admin::ObjectKind::tables_in_schema
              ? "schema " + shortfall.object
              : shortfall.object;
      if (std::string(check.name) != admin::kLegacyTablesCheck &&
          std::find(absent.begin(), absent.end(), name) == absent.end()) {
        absent.push_back(name);
      }
    } else {
      fail(run, check, shortfall.line(role));
    }
  }
  if (!absent.empty()) {
    fail(run, check, "missing " + join(absent) + ": apply the migrations (scripts/migrate)");
  }
  return good;
}

// A check that is only its requirements: report_requirements(), then, when nothing is missing,
// one ok line "role <role> <has>".
void report_role(Run& run, const Check& check, const std::string& role, const std::string& has) {
  if (report_requirements(run, check, role)) run.report.ok(check.name, "role " + role + " " + has);
}

// The parameters the queries take.
Params slot_name(const Run& run) {
  return {run.cfg.source.slot};
}
Params configured_tables(const Run& run) {
  return {pg::array_literal(run.cfg.source.tables)};
}
Params existing_tables(const Run& run) {
  return {pg::array_literal(run.existing)};
}
Params publication_name(const Run& run) {
  return {run.cfg.source.publication};
}
Params origin_name(const Run& run) {
  return {run.cfg.source.origin};
}

// --- The verdicts, in the order of the table.

void source_reached(Run& run, const Check& check, const PGresult* r) {
  run.report.ok(check.name, "connected to database " + text(r, 0, 0) + " as role " + text(r, 0, 1));
}

void server_version(Run& run, const Check& check, const PGresult* r) {
  run.source_role = text(r, 0, 2);
  run.source_database = text(r, 0, 3);
  const std::string version = text(r, 0, 0);
  if (number(r, 0, 1) >= 150000) {
    run.report.ok(check.name, "PostgreSQL " + version);
  } else {
    fail(run, check,
         "PostgreSQL " + version +
             ": the bridge needs 15 or later (pgoutput protocol 2, empty transactions skipped); " +
             std::string(check.fix));
  }
}

void wal_level(Run& run, const Check& check, const PGresult* r) {
  const std::string level = text(r, 0, 0);
  if (level == "logical") {
    run.report.ok(check.name, "logical");
  } else {
    fail(run, check, "is " + level + ": " + std::string(check.fix));
  }
}

void replication_slots(Run& run, const Check& check, const PGresult* r) {
  const int max = number(r, 0, 0);
  const int used = number(r, 0, 1);
  const std::string counts = std::to_string(used) + " of " + std::to_string(max) + " in use";
  const std::string& slot = run.cfg.source.slot;
  if (is_true(r, 0, 2)) {
    run.report.ok(check.name, counts + ", one of them ours (" + slot + ")");
  } else if (used < max) {
    run.report.ok(check.name, counts + ", " + std::to_string(max - used) + " free");
  } else {
    fail(run, check, counts + ", none free for slot " + slot + ": " + std::string(check.fix));
  }
}

void wal_senders(Run& run, const Check& check, const PGresult* r) {
  const int max = number(r, 0, 0);
  const int used = number(r, 0, 1);
  const std::string counts = std::to_string(used) + " of " + std::to_string(max) + " in use";
  if (is_true(r, 0, 2)) {
    run.report.ok(check.name, counts + ", one of them the daemon's");
  } else if (used < max) {
    run.report.ok(check.name, counts + ", " + std::to_string(max - used) + " free");
  } else {
    fail(run, check, counts + ", none free for the daemon: " + std::string(check.fix));
  }
}

void replication_privilege(Run& run, const Check& check, const PGresult* r) {
  const std::string& role = run.source_role;
  if (is_true(r, 0, 1)) {
    run.report.ok(check.name, "role " + role + " is a superuser");
  } else if (is_true(r, 0, 0)) {
    run.report.ok(check.name, "role " + role + " has REPLICATION");
  } else {
    fail(run, check,
         "role " + role +
             " may not replicate: " + fill(check.fix, {{"role", admin::quote_ident(role)}}));
  }
}

// Which configured tables exist; the later checks only look at those.
void legacy_tables(Run& run, const Check& check, const PGresult* r) {
  std::vector<std::string> absent;
  for (int i = 0; i < PQntuples(r); ++i) {
    if (is_true(r, i, 1)) {
      run.existing.push_back(text(r, i, 0));
    } else {
      absent.push_back(public_table(text(r, i, 0)));
    }
  }
  for (const auto& name : absent) {
    run.report.fail(ErrorDomain::usage, check.name,
                    name + " does not exist in database " + run.source_database + ": " +
                        std::string(check.fix));
  }
  const bool good = report_requirements(run, check, run.source_role);
  if (good && absent.empty()) {
    run.report.ok(check.name, "role " + run.source_role + " can read all " +
                                  std::to_string(run.cfg.source.tables.size()) +
                                  " [source] tables");
  }
}

void source_privileges(Run& run, const Check& check, const PGresult*) {
  report_role(run, check, run.source_role,
              "may read the expected-state views (dualwrite_expected) that bootstrap copies and "
              "verify compares");
}

void publication(Run& run, const Check& check, const PGresult* r) {
  const std::string& pub = run.cfg.source.publication;
  const std::string quoted = admin::quote_ident(pub);
  const std::string set_publish = fill(check.fix, {{"publication", quoted}});
  if (PQntuples(r) == 0) {
    run.report.warn(check.name,
                    pub +
                        " does not exist: `dualwrite bootstrap` (or `run`) creates it, which "
                        "needs ownership of the tables; otherwise create it as their owner "
                        "(migration 20261125001100)");
    return;
  }
  if (is_true(r, 0, 0)) {
    fail(run, check,
         pub +
             " is FOR ALL TABLES: the bridge must decode only the [source] tables; DROP "
             "PUBLICATION " +
             quoted + " and create it FOR TABLE those");
    return;
  }
  std::vector<std::string> missing_ops;
  if (!is_true(r, 0, 1)) missing_ops.emplace_back("insert");
  if (!is_true(r, 0, 2)) missing_ops.emplace_back("update");
  if (!is_true(r, 0, 3)) missing_ops.emplace_back("delete");
  const bool truncate = is_true(r, 0, 4);

  std::set<std::string> published;
  for (int i = 0; i < PQntuples(r); ++i) {
    if (!PQgetisnull(r, i, 5)) published.insert(text(r, i, 5));
  }
  std::set<std::string> wanted;
  for (const auto& table : run.cfg.source.tables) wanted.insert("public." + table);
  wanted.insert(admin::kCatalogTable);  // the catalog rule needs its changes too
  std::vector<std::string> lacking;
  std::vector<std::string> extra;
  for (const auto& w : wanted) {
    if (!published.count(w)) lacking.push_back("public." + admin::quote_ident(w.substr(7)));
  }
  for (const auto& p : published) {
    if (!wanted.count(p)) extra.push_back(p);
  }
  std::vector<std::string> problems;
  if (!lacking.empty()) {
    problems.push_back("lacks " + join(lacking) + " (ALTER PUBLICATION " + quoted + " ADD TABLE " +
                       join(lacking) + ")");
  }
  if (!extra.empty()) {
    problems.push_back("also publishes " + join(extra) + " (ALTER PUBLICATION " + quoted +
                       " DROP TABLE " + join(extra) + ", or add them to [source] tables)");
  }
  if (!missing_ops.empty()) {
    problems.push_back("does not publish " + join(missing_ops) + " (" + set_publish + ")");
  }
  if (!problems.empty()) {
    fail(run, check, pub + " " + join(problems, "; "));
  } else if (!truncate) {
    run.report.warn(check.name, pub +
                                    " does not publish truncate: a TRUNCATE of a legacy table "
                                    "would go unnoticed instead of becoming a dead letter (" +
                                    set_publish + ")");
  } else {
    run.report.ok(check.name, pub + " covers exactly the " +
                                  std::to_string(run.cfg.source.tables.size()) +
                                  " [source] tables and the catalog " + admin::kCatalogTable +
                                  " (insert, update, delete, truncate)");
  }
}

void slot(Run& run, const Check& check, const PGresult* r) {
  const std::string& slot = run.cfg.source.slot;
  run.slot_exists = PQntuples(r) > 0;
  if (!run.slot_exists) {
    run.report.ok(check.name, slot + " absent: `dualwrite bootstrap` creates it");
    return;
  }
  const std::string plugin = text(r, 0, 0);
  const std::string type = text(r, 0, 1);
  const std::string db = text(r, 0, 2);
  const std::string wal_status = text(r, 0, 3);
  const bool active = is_true(r, 0, 4);
  const std::string pid = text(r, 0, 5);
  const std::string drop_it =
      fill(check.fix, {{"drop", "SELECT pg_drop_replication_slot('" + slot + "')"}});
  if (type != "logical" || plugin != "pgoutput") {
    fail(run, check,
         slot + " is a " + type + " slot" + (plugin.empty() ? "" : " of plugin " + plugin) +
             ", not pgoutput: set another [source] slot name, or " + drop_it);
  } else if (db != run.source_database) {
    fail(run, check,
         slot + " belongs to database " + db + ", not " + run.source_database +
             ": set another [source] slot name, or drop it there and bootstrap again");
  } else if (wal_status == "lost") {
    run.report.fail(
        ErrorDomain::slot_lost, check.name,
        slot + " is invalidated (wal_status = lost): WAL it needed was removed; " + drop_it);
  } else {
    const std::string state = "pgoutput, database " + db + ", wal_status " + wal_status +
                              ", confirmed " + text(r, 0, 6) + ", " +
                              (active ? "active (pid " + pid + ")" : "inactive");
    if (wal_status == "unreserved") {
      run.report.warn(check.name, slot + ": " + state +
                                      "; it will be invalidated at the next checkpoint unless the "
                                      "daemon catches up (raise max_slot_wal_keep_size)");
    } else {
      run.report.ok(check.name, slot + ": " + state);
    }
  }
}

void replica_identity(Run& run, const Check& check, const PGresult* r) {
  int good = 0;
  for (int i = 0; i < PQntuples(r); ++i) {
    const std::string name = public_table(text(r, i, 0));
    const char identity = *PQgetvalue(r, i, 1);
    const bool has_pk = is_true(r, i, 2);
    const bool index_covers_pk = is_true(r, i, 3);
    const std::string fix = has_pk ? "ALTER TABLE " + name + " REPLICA IDENTITY DEFAULT"
                                   : fill(check.fix, {{"table", name}});
    if (identity == 'f' || (identity == 'd' && has_pk) || (identity == 'i' && index_covers_pk)) {
      ++good;
    } else if (identity == 'n') {
      fail(run, check,
           name + " has REPLICA IDENTITY NOTHING: its updates and deletes cannot be replicated; " +
               fix);
    } else if (identity == 'd') {
      fail(run, check,
           name +
               " has REPLICA IDENTITY DEFAULT but no primary key: its updates and deletes carry "
               "no old key; " +
               fix);
    } else {
      fail(run, check,
           name +
               " has REPLICA IDENTITY USING INDEX on an index without every primary-key column, "
               "which the bridge looks rows up by; " +
               fix);
    }
  }
  if (good == PQntuples(r)) {
    run.report.ok(check.name,
                  "all " + std::to_string(good) +
                      " legacy tables: DEFAULT with a primary key, FULL, or an index holding the "
                      "key");
  }
}

void target_reached(Run& run, const Check& check, const PGresult* r) {
  std::string where = "database " + text(r, 0, 0) + " as role " + text(r, 0, 1);
  if (run.source != nullptr && admin::same_database(*run.source, *run.target)) {
    where += " (the source database)";
  }
  run.report.ok(check.name, "connected to " + where);
}

void target_privileges(Run& run, const Check& check, const PGresult* r) {
  run.target_role = text(r, 0, 1);
  report_role(run, check, run.target_role,
              "may write the " + std::to_string(std::size(written_tables)) +
                  " new tables and dualwrite.dead_letters, and has every other privilege its "
                  "commands need there");
}

void origin_functions(Run& run, const Check& check, const PGresult*) {
  report_role(run, check, run.target_role,
              "may execute pg_replication_origin_create/oid/advance/session_setup/xact_setup/"
              "progress/drop");
}

void extensions(Run& run, const Check& check, const PGresult* r) {
  std::vector<std::string> installed;
  std::vector<std::string> missing;
  bool vector = false;
  for (int i = 0; i < PQntuples(r); ++i) {
    const std::string name = text(r, i, 0);
    const std::string version = text(r, i, 1);
    if (name == "vector") {
      vector = !version.empty();
      if (vector) installed.push_back("vector " + version);
    } else if (version.empty()) {
      missing.push_back(name);
    } else {
      installed.push_back(name + " " + version);
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> creates;
    for (const auto& m : missing) creates.push_back(fill(check.fix, {{"extension", m}}));
    fail(run, check,
         "missing " + join(missing) + ": " + join(creates, "; ") + " (migration 20261125000100)");
  } else {
    run.report.ok(check.name, join(installed));
  }
  if (!vector) {
    run.report.warn("extension vector",
                    "absent (optional): account_embeddings.preference_vector is real[] until "
                    "pgvector is installed (sql/README.md)");
  }
}

void migrations(Run& run, const Check& check, const PGresult*) {
  const auto missing = admin::missing_migrations(*run.target);
  const auto known = admin::known_migrations();
  if (missing.empty()) {
    const auto& last = known.back();
    run.report.ok(check.name, "all " + std::to_string(known.size()) + " applied (latest " +
                                  std::string(last.version) + "_" + std::string(last.name) + ")");
    return;
  }
  std::vector<std::string> names;
  for (const auto& m : missing) names.push_back(std::string(m.version) + "_" + std::string(m.name));
  fail(run, check,
       std::to_string(missing.size()) + " of " + std::to_string(known.size()) +
           " not recorded in dualwrite.schema_migrations: " + join(names) + "; " +
           std::string(check.fix));
}

void origin(Run& run, const Check& check, const PGresult* r) {
  const std::string& origin = run.cfg.source.origin;
  const std::string& slot = run.cfg.source.slot;
  const bool found = PQntuples(r) > 0;
  const std::string at = found ? text(r, 0, 0) : "";
  // Progress recorded without a slot: the slot was dropped, and `run` refuses (exit 6) rather
  // than lose what was committed since (daemon/setup.hpp). The bootstrap's consistent point
  // counts as progress when the origin went too.
  std::string lost_after = at;
  std::string recorded = at.empty() ? "" : origin + " has applied up to " + at;
  if (const auto b = admin::read_bootstrap(*run.target, slot);
      recorded.empty() && b && b->finished) {
    lost_after = b->consistent_point.to_string();
    recorded = "the bootstrap of slot " + slot + " started streaming at " + lost_after;
  }
  const bool source_positions_known = run.source != nullptr;
  if (source_positions_known && !run.slot_exists && !recorded.empty()) {
    run.report.fail(ErrorDomain::slot_lost, check.name,
                    recorded + " but slot " + slot +
                        " does not exist: it was dropped, and the legacy changes committed after " +
                        lost_after +
                        " are in no slot any more (`dualwrite run` refuses to start). " +
                        fill(check.fix, {{"lsn", lost_after}}));
  } else if (found) {
    run.report.ok(check.name, origin + " at " + (at.empty() ? "0/0 (nothing applied yet)" : at));
  } else if (source_positions_known && run.slot_exists) {
    run.report.warn(check.name, origin + " absent although slot " + slot +
                                    " exists: `dualwrite run` creates it and streams from the "
                                    "slot's confirmed position");
  } else {
    run.report.ok(check.name, origin + " absent: `dualwrite bootstrap` creates it");
  }
}

void bootstrap(Run& run, const Check& check, const PGresult*) {
  const std::string& slot = run.cfg.source.slot;
  const auto b = admin::read_bootstrap(*run.target, slot);
  if (!b) {
    run.report.ok(check.name,
                  "not bootstrapped (no dualwrite.bootstrap row for slot " + slot + ")");
  } else if (!b->finished) {
    run.report.warn(check.name, "unfinished: " + std::to_string(b->chunks_done) + " of " +
                                    std::to_string(b->chunks_total) + " chunks done (started " +
                                    b->started_at + "); " + std::string(check.fix));
  } else {
    run.report.ok(check.name, "finished " + b->finished_at + ", streaming from consistent point " +
                                  b->consistent_point.to_string());
  }
}

namespace q = sql::check;

// Every check, in the order it prints: the source's, then the target's.
const Check kChecks[] = {
    {"source", Side::source, q::connected, nullptr, source_reached, ""},
    {"server version", Side::source, q::server_version, nullptr, server_version,
     "upgrade the source server"},
    {"wal_level", Side::source, q::wal_level, nullptr, wal_level,
     "set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL"},
    {"replication slots", Side::source, q::replication_slots, slot_name, replication_slots,
     "drop an unused slot (SELECT pg_drop_replication_slot('name')) or raise "
     "max_replication_slots (restart needed)"},
    {"wal senders", Side::source, q::wal_senders, slot_name, wal_senders,
     "raise max_wal_senders (restart needed)"},
    {"replication privilege", Side::source, q::replication_privilege, nullptr,
     replication_privilege, "ALTER ROLE {role} REPLICATION (as a superuser)"},
    {admin::kLegacyTablesCheck, Side::source, q::legacy_tables, configured_tables, legacy_tables,
     "fix [source] tables (or [source] conninfo)"},
    {admin::kSourcePrivilegesCheck, Side::source, "", nullptr, source_privileges,
     "the GRANT (or CREATE POLICY) each line names"},
    {"publication", Side::source, q::publication, publication_name, publication,
     "ALTER PUBLICATION {publication} SET (publish = 'insert, update, delete, truncate')"},
    {"slot", Side::source, q::slot, slot_name, slot, "drop it ({drop}) and bootstrap again"},
    {"replica identity", Side::source, q::replica_identity, existing_tables, replica_identity,
     "add a primary key, or ALTER TABLE {table} REPLICA IDENTITY FULL"},

    {"target", Side::target, q::connected, nullptr, target_reached, ""},
    {admin::kTargetPrivilegesCheck, Side::target, q::connected, nullptr, target_privileges,
     "the GRANT (or CREATE POLICY) each line names"},
    {admin::kOriginFunctionsCheck, Side::target, "", nullptr, origin_functions,
     "the GRANT each line names"},
    {"extensions", Side::target, q::extensions, nullptr, extensions,
     "CREATE EXTENSION \"{extension}\""},
    {"migrations", Side::target, "", nullptr, migrations,
     "apply them in order (scripts/migrate CONNINFO)"},
    {"origin", Side::target, q::origin, origin_name, origin,
     "Start over with `dualwrite bootstrap` (after emptying the new tables: docs/cutover.md, "
     "\"Slot dropped\"), or accept losing them: `dualwrite run --accept-gap-from {lsn}`"},
    {"bootstrap", Side::target, "", nullptr, bootstrap,
     "rerun `dualwrite bootstrap` to resume: `run` refuses until it finishes"},
};

// Runs the checks of one side, each on its own: a failing query fails that check only.
void run_checks(Run& run, Side side) {
  for (const Check& check : kChecks) {
    if (check.side != side) continue;
    run.report.guard(domain_of(side), check.name, [&] {
      apply::ResultPtr rows;
      if (!check.query.empty()) {
        const Params params = check.params != nullptr ? check.params(run) : Params{};
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& p : params) values.push_back(p.c_str());
        rows = run.on(side).query(check.query, values);
      }
      check.verdict(run, check, rows.get());
    });
  }
}

// Connects; on failure reports the check and returns nullopt.
std::optional<apply::Connection> reach(Report& report, ErrorDomain domain, const char* check,
                                       const std::function<apply::Connection()>& connect) {
  try {
    auto connected = pg::attempt(domain, connect);
    if (connected) return std::move(*connected);
    report.fail(connected.error().domain, check,
                pg::one_line(connected.error().message) +
                    (domain == ErrorDomain::source ? "; fix [source] conninfo or the server"
                                                   : "; fix [target] conninfo or the server"));
  } catch (const config::ConfigError& e) {
    report.fail(ErrorDomain::usage, check, pg::one_line(e.what()));
  }
  return std::nullopt;
}

int check_command(const ConfigOption& option) {
  auto loaded = load_config(option);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  Run run(cfg);

  auto src =
      reach(run.report, ErrorDomain::source, "source", [&] { return admin::connect_source(cfg); });
  if (src) {
    run.source = &*src;
    run_checks(run, Side::source);
  }
  auto tgt =
      reach(run.report, ErrorDomain::target, "target", [&] { return admin::connect_target(cfg); });
  if (tgt) {
    run.target = &*tgt;
    run_checks(run, Side::target);
  }
  run.report.summary();
  return run.report.exit_status();
}

}  // namespace

Command make_check_command() {
  return Command{"check",
                 "Preflight, read-only: server, privileges, publication, slot, replica identity, "
                 "extensions, migrations; exits non-zero on any failure",
                 [](CLI::App& app) -> std::function<int()> {
                   auto option = std::make_shared<ConfigOption>();
                   add_config_option(app, option);
                   return [option] { return check_command(*option); };
                 }};
}

}  // namespace dualwrite::cli
