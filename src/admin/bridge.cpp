#include "dualwrite/admin/bridge.hpp"

#include <algorithm>
#include <thread>

#include "dualwrite/core/identifier.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/admin.hpp"

namespace dualwrite::admin {

namespace {

std::string password_of(const std::string& file) {
  return file.empty() ? std::string() : config::read_password_file(file);
}

std::optional<Lsn> lsn_at(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return Lsn::parse(PQgetvalue(r, row, col));
}

}  // namespace

std::string source_conninfo(const config::Config& config) {
  const std::string password = password_of(config.source.password_file);
  if (password.empty()) return config.source.conninfo;
  std::string quoted = "'";
  for (char c : password) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return config.source.conninfo + " password=" + quoted + "'";
}

std::string source_password(const config::Config& config) {
  return password_of(config.source.password_file);
}

apply::Connection connect_source(const config::Config& config) {
  return apply::Connection::open(config.source.conninfo, source_password(config));
}

std::string target_password(const config::Config& config) {
  return password_of(config.target.conninfo.empty() ? config.source.password_file
                                                    : config.target.password_file);
}

apply::ApplyOptions target_apply_options(const config::Config& config) {
  apply::ApplyOptions options;
  options.conninfo = config.effective_target_conninfo();
  options.password = target_password(config);
  options.statement_timeout = config.target.statement_timeout;
  options.lock_timeout = config.target.lock_timeout;
  options.idle_in_transaction_session_timeout = config.target.idle_in_transaction_session_timeout;
  options.copy_min_rows = config.apply.copy_min_rows;
  options.replica_role = config.apply.session_replication_role == "replica";
  return options;
}

apply::Connection connect_target(const config::Config& config) {
  return apply::Connection::open(config.effective_target_conninfo(), target_password(config));
}

bool ensure_publication(apply::Connection& source, const config::Config& config) {
  bool found = false;
  source.scalar("SELECT 1 FROM pg_publication WHERE pubname = $1",
                {config.source.publication.c_str()}, &found);
  if (found) return false;
  auto quote = [&](const std::string& name) {
    char* q = PQescapeIdentifier(source.get(), name.data(), name.size());
    std::string out = q != nullptr ? q : name;
    PQfreemem(q);
    return out;
  };
  std::string tables;
  for (const auto& t : config.source.tables) {
    if (!tables.empty()) tables += ", ";
    tables += "public." + quote(t);
  }
  // The catalog too: its changes give earlier rows their activity_id (mapping.md).
  tables += std::string(", ") + kCatalogTable;
  source.exec("CREATE PUBLICATION " + quote(config.source.publication) + " FOR TABLE " + tables);
  return true;
}

std::optional<std::string> ensure_catalog_published(apply::Connection& source,
                                                    const config::Config& config) {
  const char* publication = config.source.publication.c_str();
  bool found = false;
  source.scalar(sql::admin::catalog_published, {publication}, &found);
  if (found) return std::nullopt;
  auto added = pg::attempt(ErrorDomain::source, [&] {
    source.exec("ALTER PUBLICATION " + quote_identifier(config.source.publication) + " ADD TABLE " +
                kCatalogTable);
  });
  if (added) return std::nullopt;
  return "publication " + config.source.publication + " does not carry " + kCatalogTable +
         ", and this role cannot add it (" + pg::one_line(added.error().message) +
         "): rows written before their activity enters the catalog keep activity_id NULL. "
         "Apply migration 20261205000100_catalog_followed.sql (as the owner of the legacy "
         "tables), or run ALTER PUBLICATION " +
         config.source.publication + " ADD TABLE " + kCatalogTable + " as that owner";
}

bool same_database(apply::Connection& source, apply::Connection& target) {
  constexpr std::string_view sql =
      "SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()";
  return source.scalar(sql) == target.scalar(sql);
}

Lsn BridgePositions::applied() const {
  Lsn best = Lsn::invalid();
  for (const auto& p : {origin_applied, reported_applied, confirmed_flush}) {
    if (p) best = std::max(best, *p);
  }
  return best;
}

Lsn current_wal_lsn(apply::Connection& source) {
  return Lsn::parse(source.scalar("SELECT pg_current_wal_lsn()::text")).value_or(Lsn::invalid());
}

BridgePositions read_positions(apply::Connection& source, apply::Connection& target,
                               const config::Config& config) {
  BridgePositions p;
  const char* slot = config.source.slot.c_str();
  auto r = source.query(sql::admin::bridge_positions, {slot});
  if (PQntuples(r.get()) == 1) {
    p.slot_exists = true;
    p.slot_active = *PQgetvalue(r.get(), 0, 0) == 't';
    p.active_pid = std::atoi(PQgetvalue(r.get(), 0, 1));
    p.wal_status = PQgetvalue(r.get(), 0, 2);
    p.restart_lsn = lsn_at(r.get(), 0, 3);
    p.confirmed_flush = lsn_at(r.get(), 0, 4);
    p.reported_applied = lsn_at(r.get(), 0, 5);
    p.retained_wal_bytes = std::strtoull(PQgetvalue(r.get(), 0, 6), nullptr, 10);
  }
  const char* origin = config.source.origin.c_str();
  bool found = false;
  target.scalar("SELECT 1 FROM pg_replication_origin WHERE roname = $1", {origin}, &found);
  p.origin_exists = found;
  if (found) {
    auto o = target.query("SELECT pg_replication_origin_progress($1, true)::text", {origin});
    p.origin_applied = lsn_at(o.get(), 0, 0);
  }
  p.source_current = current_wal_lsn(source);
  return p;
}

BridgePositions wait_until_applied(apply::Connection& source, apply::Connection& target,
                                   const config::Config& config, Lsn position,
                                   std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds idle_limit) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> idle_since;
  for (;;) {
    auto p = read_positions(source, target, config);
    const auto now = Clock::now();
    if (p.applied() >= position || now >= deadline) return p;
    if (p.slot_active) {
      idle_since.reset();
    } else if (!idle_since) {
      idle_since = now;
    } else if (now - *idle_since >= idle_limit) {
      return p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::chrono::milliseconds stopped_bridge_after(const config::Config& config) {
  return config.reconnect.max_backoff + std::chrono::seconds(10);
}

}  // namespace dualwrite::admin
