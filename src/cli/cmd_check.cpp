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
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/admin/privileges.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"

namespace dualwrite::cli {

namespace {

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
    try {
      body();
    } catch (const apply::DbError& e) {
      fail(domain, check, std::string("query failed: ") + admin::one_line(e));
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

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string text_array(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (const auto& item : items) {
    if (literal.size() > 1) literal += ',';
    apply::append_array_element(literal, item);
  }
  return literal + "}";
}

std::string public_table(const std::string& name) {
  return "public." + admin::quote_ident(name);
}

bool is_true(const PGresult* r, int row, int col) {
  return *PQgetvalue(r, row, col) == 't';
}

// Reports what `role` lacks of the requirements of `check` (admin/privileges.hpp): one FAIL line
// per object (what is missing, the statement that fixes it, the commands that need it), the
// objects that do not exist at all on one line. Returns whether nothing is missing.
bool report_requirements(Report& report, apply::Connection& conn, const std::string& role,
                         admin::Side side, const std::vector<admin::Requirement>& requirements,
                         const char* check, ErrorDomain domain) {
  std::vector<admin::Requirement> mine;
  for (const auto& r : requirements) {
    if (r.check == check) mine.push_back(r);
  }
  std::vector<std::string> absent;
  bool good = true;
  for (const auto& shortfall : admin::missing_privileges(conn, role, side, mine)) {
    good = false;
    if (shortfall.object_missing) {
      // The legacy tables line names the [source] tables that do not exist itself.
      const auto kind = shortfall.requirement.kind;
      const std::string name =
          kind == admin::ObjectKind::schema || kind == admin::ObjectKind::tables_in_schema
              ? "schema " + shortfall.object
              : shortfall.object;
      if (std::string(check) != admin::kLegacyTablesCheck &&
          std::find(absent.begin(), absent.end(), name) == absent.end()) {
        absent.push_back(name);
      }
    } else {
      report.fail(domain, check, shortfall.line(role));
    }
  }
  if (!absent.empty()) {
    report.fail(domain, check,
                "missing " + join(absent) + ": apply the migrations (scripts/migrate)");
  }
  return good;
}

void check_source(const config::Config& cfg, apply::Connection& src, Report& report) {
  const auto& tables = cfg.source.tables;
  const auto requirements = admin::required_privileges(cfg);
  std::string role;
  std::string database;

  report.guard(ErrorDomain::source, "server version", [&] {
    auto r = src.query(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
        "current_user, current_database()");
    role = PQgetvalue(r.get(), 0, 2);
    database = PQgetvalue(r.get(), 0, 3);
    const std::string version = PQgetvalue(r.get(), 0, 0);
    if (std::atoi(PQgetvalue(r.get(), 0, 1)) >= 150000) {
      report.ok("server version", "PostgreSQL " + version);
    } else {
      report.fail(ErrorDomain::source, "server version",
                  "PostgreSQL " + version +
                      ": the bridge needs 15 or later (pgoutput protocol 2, empty transactions "
                      "skipped); upgrade the source server");
    }
  });

  report.guard(ErrorDomain::source, "wal_level", [&] {
    const std::string level = src.scalar("SELECT current_setting('wal_level')");
    if (level == "logical") {
      report.ok("wal_level", "logical");
    } else {
      report.fail(ErrorDomain::source, "wal_level",
                  "is " + level +
                      ": set wal_level = logical (ALTER SYSTEM SET wal_level = logical) and "
                      "restart PostgreSQL");
    }
  });

  report.guard(ErrorDomain::source, "replication slots", [&] {
    const char* slot = cfg.source.slot.c_str();
    auto r = src.query(
        "SELECT current_setting('max_replication_slots')::int, "
        "(SELECT count(*) FROM pg_replication_slots)::int, "
        "EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1)",
        {slot});
    const int max = std::atoi(PQgetvalue(r.get(), 0, 0));
    const int used = std::atoi(PQgetvalue(r.get(), 0, 1));
    const std::string counts = std::to_string(used) + " of " + std::to_string(max) + " in use";
    if (is_true(r.get(), 0, 2)) {
      report.ok("replication slots", counts + ", one of them ours (" + cfg.source.slot + ")");
    } else if (used < max) {
      report.ok("replication slots", counts + ", " + std::to_string(max - used) + " free");
    } else {
      report.fail(ErrorDomain::source, "replication slots",
                  counts + ", none free for slot " + cfg.source.slot +
                      ": drop an unused slot (SELECT pg_drop_replication_slot('name')) or raise "
                      "max_replication_slots (restart needed)");
    }
  });

  report.guard(ErrorDomain::source, "wal senders", [&] {
    const char* slot = cfg.source.slot.c_str();
    auto r = src.query(
        "SELECT current_setting('max_wal_senders')::int, "
        "(SELECT count(*) FROM pg_stat_replication)::int, "
        "coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = $1), false)",
        {slot});
    const int max = std::atoi(PQgetvalue(r.get(), 0, 0));
    const int used = std::atoi(PQgetvalue(r.get(), 0, 1));
    const std::string counts = std::to_string(used) + " of " + std::to_string(max) + " in use";
    if (is_true(r.get(), 0, 2)) {
      report.ok("wal senders", counts + ", one of them the daemon's");
    } else if (used < max) {
      report.ok("wal senders", counts + ", " + std::to_string(max - used) + " free");
    } else {
      report.fail(ErrorDomain::source, "wal senders",
                  counts + ", none free for the daemon: raise max_wal_senders (restart needed)");
    }
  });

  report.guard(ErrorDomain::source, "replication privilege", [&] {
    auto r =
        src.query("SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user");
    if (is_true(r.get(), 0, 1)) {
      report.ok("replication privilege", "role " + role + " is a superuser");
    } else if (is_true(r.get(), 0, 0)) {
      report.ok("replication privilege", "role " + role + " has REPLICATION");
    } else {
      report.fail(ErrorDomain::source, "replication privilege",
                  "role " + role + " may not replicate: ALTER ROLE " + admin::quote_ident(role) +
                      " REPLICATION (as a superuser)");
    }
  });

  // Which configured tables exist; the later checks only look at those.
  std::vector<std::string> existing;
  report.guard(ErrorDomain::source, "legacy tables", [&] {
    std::vector<std::string> absent;
    for (const auto& table : tables) {
      if (admin::relation_exists(src, ("public." + table).c_str())) {
        existing.push_back(table);
      } else {
        absent.push_back(public_table(table));
      }
    }
    for (const auto& name : absent) {
      report.fail(ErrorDomain::usage, "legacy tables",
                  name + " does not exist in database " + database +
                      ": fix [source] tables (or [source] conninfo)");
    }
    const bool good = report_requirements(report, src, role, admin::Side::source, requirements,
                                          admin::kLegacyTablesCheck, ErrorDomain::source);
    if (good && absent.empty()) {
      report.ok("legacy tables", "role " + role + " can read all " + std::to_string(tables.size()) +
                                     " [source] tables");
    }
  });

  report.guard(ErrorDomain::source, admin::kSourcePrivilegesCheck, [&] {
    if (report_requirements(report, src, role, admin::Side::source, requirements,
                            admin::kSourcePrivilegesCheck, ErrorDomain::source)) {
      report.ok(admin::kSourcePrivilegesCheck,
                "role " + role +
                    " may read the expected-state views (dualwrite_expected) that bootstrap "
                    "copies and verify compares");
    }
  });

  report.guard(ErrorDomain::source, "publication", [&] {
    const std::string& pub = cfg.source.publication;
    auto r = src.query(
        "SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate "
        "FROM pg_publication WHERE pubname = $1",
        {pub.c_str()});
    if (PQntuples(r.get()) == 0) {
      report.warn("publication",
                  pub +
                      " does not exist: `dualwrite bootstrap` (or `run`) creates it, which "
                      "needs ownership of the tables; otherwise create it as their owner "
                      "(migration 20261125001100)");
      return;
    }
    if (is_true(r.get(), 0, 0)) {
      report.fail(ErrorDomain::source, "publication",
                  pub +
                      " is FOR ALL TABLES: the bridge must decode only the [source] tables; "
                      "DROP PUBLICATION " +
                      admin::quote_ident(pub) + " and create it FOR TABLE those");
      return;
    }
    std::vector<std::string> missing_ops;
    if (!is_true(r.get(), 0, 1)) missing_ops.emplace_back("insert");
    if (!is_true(r.get(), 0, 2)) missing_ops.emplace_back("update");
    if (!is_true(r.get(), 0, 3)) missing_ops.emplace_back("delete");
    const bool truncate = is_true(r.get(), 0, 4);

    auto t = src.query(
        "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = $1",
        {pub.c_str()});
    std::set<std::string> published;
    for (int i = 0; i < PQntuples(t.get()); ++i) published.insert(PQgetvalue(t.get(), i, 0));
    std::set<std::string> wanted;
    for (const auto& table : tables) wanted.insert("public." + table);
    std::vector<std::string> lacking;
    std::vector<std::string> extra;
    for (const auto& w : wanted) {
      if (!published.count(w)) lacking.push_back("public." + admin::quote_ident(w.substr(7)));
    }
    for (const auto& p : published) {
      if (!wanted.count(p)) extra.push_back(p);
    }
    const std::string quoted = admin::quote_ident(pub);
    std::vector<std::string> problems;
    if (!lacking.empty()) {
      problems.push_back("lacks " + join(lacking) + " (ALTER PUBLICATION " + quoted +
                         " ADD TABLE " + join(lacking) + ")");
    }
    if (!extra.empty()) {
      problems.push_back("also publishes " + join(extra) + " (ALTER PUBLICATION " + quoted +
                         " DROP TABLE " + join(extra) + ", or add them to [source] tables)");
    }
    if (!missing_ops.empty()) {
      problems.push_back("does not publish " + join(missing_ops) + " (ALTER PUBLICATION " + quoted +
                         " SET (publish = 'insert, update, delete, truncate'))");
    }
    if (!problems.empty()) {
      report.fail(ErrorDomain::source, "publication", pub + " " + join(problems, "; "));
    } else if (!truncate) {
      report.warn("publication", pub +
                                     " does not publish truncate: a TRUNCATE of a legacy table "
                                     "would go unnoticed instead of becoming a dead letter "
                                     "(ALTER PUBLICATION " +
                                     quoted +
                                     " SET (publish = 'insert, update, delete, truncate'))");
    } else {
      report.ok("publication", pub + " covers exactly the " + std::to_string(tables.size()) +
                                   " [source] tables (insert, update, delete, truncate)");
    }
  });

  report.guard(ErrorDomain::source, "slot", [&] {
    const std::string& slot = cfg.source.slot;
    auto r = src.query(
        "SELECT coalesce(plugin, ''), slot_type, coalesce(database, ''), "
        "coalesce(wal_status, ''), active, coalesce(active_pid, 0), "
        "coalesce(confirmed_flush_lsn::text, '') "
        "FROM pg_replication_slots WHERE slot_name = $1",
        {slot.c_str()});
    if (PQntuples(r.get()) == 0) {
      report.ok("slot", slot + " absent: `dualwrite bootstrap` creates it");
      return;
    }
    const std::string plugin = PQgetvalue(r.get(), 0, 0);
    const std::string type = PQgetvalue(r.get(), 0, 1);
    const std::string db = PQgetvalue(r.get(), 0, 2);
    const std::string wal_status = PQgetvalue(r.get(), 0, 3);
    const bool active = is_true(r.get(), 0, 4);
    const std::string pid = PQgetvalue(r.get(), 0, 5);
    const std::string drop = "SELECT pg_drop_replication_slot('" + slot + "')";
    if (type != "logical" || plugin != "pgoutput") {
      report.fail(ErrorDomain::source, "slot",
                  slot + " is a " + type + " slot" +
                      (plugin.empty() ? "" : " of plugin " + plugin) +
                      ", not pgoutput: set another [source] slot name, or drop it (" + drop +
                      ") and bootstrap again");
    } else if (db != database) {
      report.fail(ErrorDomain::source, "slot",
                  slot + " belongs to database " + db + ", not " + database +
                      ": set another [source] slot name, or drop it there and bootstrap again");
    } else if (wal_status == "lost") {
      report.fail(ErrorDomain::slot_lost, "slot",
                  slot +
                      " is invalidated (wal_status = lost): WAL it needed was removed; drop "
                      "it (" +
                      drop + ") and bootstrap again");
    } else {
      const std::string state = "pgoutput, database " + db + ", wal_status " + wal_status +
                                ", confirmed " + PQgetvalue(r.get(), 0, 6) + ", " +
                                (active ? "active (pid " + pid + ")" : "inactive");
      if (wal_status == "unreserved") {
        report.warn("slot", slot + ": " + state +
                                "; it will be invalidated at the next checkpoint unless the "
                                "daemon catches up (raise max_slot_wal_keep_size)");
      } else {
        report.ok("slot", slot + ": " + state);
      }
    }
  });

  report.guard(ErrorDomain::source, "replica identity", [&] {
    const std::string existing_array = text_array(existing);
    // The translator finds rows by the legacy primary key in the old tuple (mapping.md), so
    // USING INDEX works only when that index holds every primary-key column.
    auto r = src.query(
        "SELECT u.t, c.relreplident, "
        "EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
        "coalesce((SELECT bool_and(k = ANY (ri.indkey::int2[])) FROM pg_index pk, "
        "  unnest(pk.indkey::int2[]) k, pg_index ri WHERE pk.indrelid = c.oid AND pk.indisprimary"
        "  AND ri.indrelid = c.oid AND ri.indisreplident), false) "
        "FROM unnest($1::text[]) WITH ORDINALITY u(t, n) "
        "JOIN pg_class c ON c.oid = to_regclass('public.' || quote_ident(u.t)) ORDER BY u.n",
        {existing_array.c_str()});
    int good = 0;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const std::string name = public_table(PQgetvalue(r.get(), i, 0));
      const char identity = *PQgetvalue(r.get(), i, 1);
      const bool has_pk = is_true(r.get(), i, 2);
      const bool index_covers_pk = is_true(r.get(), i, 3);
      const std::string fix =
          has_pk ? "ALTER TABLE " + name + " REPLICA IDENTITY DEFAULT"
                 : "add a primary key, or ALTER TABLE " + name + " REPLICA IDENTITY FULL";
      if (identity == 'f' || (identity == 'd' && has_pk) || (identity == 'i' && index_covers_pk)) {
        ++good;
      } else if (identity == 'n') {
        report.fail(ErrorDomain::source, "replica identity",
                    name +
                        " has REPLICA IDENTITY NOTHING: its updates and deletes cannot be "
                        "replicated; " +
                        fix);
      } else if (identity == 'd') {
        report.fail(ErrorDomain::source, "replica identity",
                    name +
                        " has REPLICA IDENTITY DEFAULT but no primary key: its updates and "
                        "deletes carry no old key; " +
                        fix);
      } else {
        report.fail(ErrorDomain::source, "replica identity",
                    name +
                        " has REPLICA IDENTITY USING INDEX on an index without every "
                        "primary-key column, which the bridge looks rows up by; " +
                        fix);
      }
    }
    if (good == PQntuples(r.get())) {
      report.ok(
          "replica identity",
          "all " + std::to_string(good) +
              " legacy tables: DEFAULT with a primary key, FULL, or an index holding the key");
    }
  });
}

void check_target(const config::Config& cfg, apply::Connection& tgt, bool source_positions_known,
                  bool slot_exists, Report& report) {
  const auto requirements = admin::required_privileges(cfg);
  std::string role;
  report.guard(ErrorDomain::target, admin::kTargetPrivilegesCheck, [&] {
    role = tgt.scalar("SELECT current_user");
    if (report_requirements(report, tgt, role, admin::Side::target, requirements,
                            admin::kTargetPrivilegesCheck, ErrorDomain::target)) {
      report.ok(admin::kTargetPrivilegesCheck,
                "role " + role + " may write the " + std::to_string(std::size(written_tables)) +
                    " new tables and dualwrite.dead_letters, and has every other privilege its "
                    "commands need there");
    }
  });

  report.guard(ErrorDomain::target, admin::kOriginFunctionsCheck, [&] {
    if (report_requirements(report, tgt, role, admin::Side::target, requirements,
                            admin::kOriginFunctionsCheck, ErrorDomain::target)) {
      report.ok(admin::kOriginFunctionsCheck,
                "role " + role +
                    " may execute pg_replication_origin_create/oid/advance/session_setup/"
                    "xact_setup/progress/drop");
    }
  });

  report.guard(ErrorDomain::target, "extensions", [&] {
    auto r = tgt.query(
        "SELECT e.name, coalesce(x.extversion, '') FROM unnest(ARRAY['uuid-ossp', 'pgcrypto', "
        "'vector']) e(name) LEFT JOIN pg_extension x ON x.extname = e.name");
    std::vector<std::string> installed;
    std::vector<std::string> missing;
    bool vector = false;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const std::string name = PQgetvalue(r.get(), i, 0);
      const std::string version = PQgetvalue(r.get(), i, 1);
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
      for (const auto& m : missing) creates.push_back("CREATE EXTENSION \"" + m + "\"");
      report.fail(
          ErrorDomain::target, "extensions",
          "missing " + join(missing) + ": " + join(creates, "; ") + " (migration 20261125000100)");
    } else {
      report.ok("extensions", join(installed));
    }
    if (!vector) {
      report.warn("extension vector",
                  "absent (optional): account_embeddings.preference_vector is real[] until "
                  "pgvector is installed (sql/README.md)");
    }
  });

  report.guard(ErrorDomain::target, "migrations", [&] {
    const auto missing = admin::missing_migrations(tgt);
    const auto known = admin::known_migrations();
    if (missing.empty()) {
      const auto& last = known.back();
      report.ok("migrations", "all " + std::to_string(known.size()) + " applied (latest " +
                                  std::string(last.version) + "_" + std::string(last.name) + ")");
      return;
    }
    std::vector<std::string> names;
    for (const auto& m : missing)
      names.push_back(std::string(m.version) + "_" + std::string(m.name));
    report.fail(ErrorDomain::target, "migrations",
                std::to_string(missing.size()) + " of " + std::to_string(known.size()) +
                    " not recorded in dualwrite.schema_migrations: " + join(names) +
                    "; apply them in order (scripts/migrate CONNINFO)");
  });

  report.guard(ErrorDomain::target, "origin", [&] {
    const std::string& origin = cfg.source.origin;
    bool found = false;
    tgt.scalar("SELECT 1 FROM pg_replication_origin WHERE roname = $1", {origin.c_str()}, &found);
    // Progress recorded without a slot: the slot was dropped, and `run` refuses (exit 6) rather
    // than lose what was committed since (daemon/setup.hpp). The bootstrap's consistent point
    // counts as progress when the origin went too.
    std::string at;
    if (found) {
      at = tgt.scalar("SELECT pg_replication_origin_progress($1, true)::text", {origin.c_str()});
    }
    std::string lost_after = at;
    std::string recorded = at.empty() ? "" : origin + " has applied up to " + at;
    if (const auto b = admin::read_bootstrap(tgt, cfg.source.slot);
        recorded.empty() && b && b->finished) {
      lost_after = b->consistent_point.to_string();
      recorded = "the bootstrap of slot " + cfg.source.slot + " started streaming at " + lost_after;
    }
    if (source_positions_known && !slot_exists && !recorded.empty()) {
      report.fail(ErrorDomain::slot_lost, "origin",
                  recorded + " but slot " + cfg.source.slot +
                      " does not exist: it was dropped, and the legacy changes committed after " +
                      lost_after +
                      " are in no slot any more (`dualwrite run` refuses to start). Start over "
                      "with `dualwrite bootstrap` (after emptying the new tables: "
                      "docs/cutover.md, \"Slot dropped\"), or accept losing them: `dualwrite "
                      "run --accept-gap-from " +
                      lost_after + "`");
    } else if (found) {
      report.ok("origin", origin + " at " + (at.empty() ? "0/0 (nothing applied yet)" : at));
    } else if (source_positions_known && slot_exists) {
      report.warn("origin", origin + " absent although slot " + cfg.source.slot +
                                " exists: `dualwrite run` creates it and streams from the "
                                "slot's confirmed position");
    } else {
      report.ok("origin", origin + " absent: `dualwrite bootstrap` creates it");
    }
  });

  report.guard(ErrorDomain::target, "bootstrap", [&] {
    const auto b = admin::read_bootstrap(tgt, cfg.source.slot);
    if (!b) {
      report.ok("bootstrap",
                "not bootstrapped (no dualwrite.bootstrap row for slot " + cfg.source.slot + ")");
    } else if (!b->finished) {
      report.warn("bootstrap",
                  "unfinished: " + std::to_string(b->chunks_done) + " of " +
                      std::to_string(b->chunks_total) + " chunks done (started " + b->started_at +
                      "); rerun `dualwrite bootstrap` to resume: `run` refuses until it finishes");
    } else {
      report.ok("bootstrap", "finished " + b->finished_at + ", streaming from consistent point " +
                                 b->consistent_point.to_string());
    }
  });
}

// Connects; on failure reports the check and returns nullopt.
std::optional<apply::Connection> reach(Report& report, ErrorDomain domain, const char* check,
                                       const std::function<apply::Connection()>& connect) {
  try {
    return connect();
  } catch (const apply::DbError& e) {
    report.fail(domain, check,
                std::string(admin::one_line(e)) + (domain == ErrorDomain::source
                                                       ? "; fix [source] conninfo or the server"
                                                       : "; fix [target] conninfo or the server"));
  } catch (const config::ConfigError& e) {
    report.fail(ErrorDomain::usage, check, admin::one_line(e));
  }
  return std::nullopt;
}

int check_command(const ConfigOption& option) {
  auto loaded = load_config(option);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  Report report;

  auto src =
      reach(report, ErrorDomain::source, "source", [&] { return admin::connect_source(cfg); });
  bool slot_exists = false;
  if (src) {
    report.guard(ErrorDomain::source, "source", [&] {
      auto r = src->query("SELECT current_database(), current_user");
      report.ok("source", std::string("connected to database ") + PQgetvalue(r.get(), 0, 0) +
                              " as role " + PQgetvalue(r.get(), 0, 1));
    });
    check_source(cfg, *src, report);
    try {
      bool found = false;
      src->scalar("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                  {cfg.source.slot.c_str()}, &found);
      slot_exists = found;
    } catch (const apply::DbError&) {
      // Reported by the slot check already.
    }
  }

  auto tgt =
      reach(report, ErrorDomain::target, "target", [&] { return admin::connect_target(cfg); });
  if (tgt) {
    report.guard(ErrorDomain::target, "target", [&] {
      auto r = tgt->query("SELECT current_database(), current_user");
      std::string where = std::string("database ") + PQgetvalue(r.get(), 0, 0) + " as role " +
                          PQgetvalue(r.get(), 0, 1);
      if (src && admin::same_database(*src, *tgt)) where += " (the source database)";
      report.ok("target", "connected to " + where);
    });
    check_target(cfg, *tgt, src.has_value(), slot_exists, report);
  }
  report.summary();
  return report.exit_status();
}

}  // namespace

Command make_check_command() {
  return Command{"check",
                 "Preflight, read-only: server, privileges, publication, slot, replica identity, "
                 "extensions, migrations; exits non-zero on any failure",
                 [](CLI::App& app) -> std::function<int()> {
                   auto option = std::make_shared<ConfigOption>();
                   app.add_option("--config", option->path, "Configuration file")
                       ->each([option](const std::string&) { option->given = true; });
                   return [option] { return check_command(*option); };
                 }};
}

}  // namespace dualwrite::cli
