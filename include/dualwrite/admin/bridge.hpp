// What the engineer-facing commands (bootstrap, verify, check, status, peek, replay,
// decommission) share: connecting to the source and the target as the config says, and reading
// where the bridge stands.
//
// For: one definition of "the bridge has applied up to here", read from outside the daemon:
// the highest of
//   * the target's replication origin (the last source commit applied, moved in the same
//     transaction as the data),
//   * the replay_lsn the running daemon reports on its replication connection
//     (pg_stat_replication; it is walEnd when the daemon is idle, so an idle bridge counts as
//     caught up even though no transaction moved the origin),
//   * the slot's confirmed_flush_lsn (never past what was applied).
// Not for: the daemon's loop (daemon/). Everything here only reads, except ensure_publication
// and ensure_catalog_published.
// Where the SQL lives: sql/admin/ (cmake/embed_sql.cmake); what stays in C++ is one line each:
// the ALTER PUBLICATION that adds the catalog (an identifier through quote_identifier) and the
// DECLARE around sql/admin/slot_rows.sql.
// Thread-safety: plain functions over connections owned by the caller.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::admin {

// The twelve tables the bridge writes (mapping.md), in schema public, parents before children:
// what check inspects, bootstrap fills and verify compares.
inline constexpr std::array<const char*, 12> kTargetTables = {"accounts",
                                                              "account_user_links",
                                                              "account_profiles",
                                                              "account_settings",
                                                              "interaction_sources",
                                                              "activity_interactions",
                                                              "recommendation_runs",
                                                              "recommendation_items",
                                                              "offline_interactions",
                                                              "chat_sessions",
                                                              "chat_messages",
                                                              "chat_summaries"};

// The source conninfo with the password of [source] password_file appended as a quoted
// parameter (for connections that take only a conninfo, like the replication one); never log it.
std::string source_conninfo(const config::Config& config);

// The password of [source] password_file; empty when none is configured. Throws
// config::ConfigError.
std::string source_password(const config::Config& config);
// The password of the target's password file ([target], or [source] when the target is the
// source database); empty when none is configured. Throws config::ConfigError.
std::string target_password(const config::Config& config);

// Options for an Applier on the configured target: its conninfo, password and [target] session
// timeouts (no origin: the daemon sets its own, the other writers apply without one). Throws
// config::ConfigError.
apply::ApplyOptions target_apply_options(const config::Config& config);

// The catalog the bridge follows beside the [source] tables (mapping.md, "activities"): its
// changes re-link the rows that name a slug.
inline constexpr const char* kCatalogTable = "public.activities";

// Creates the configured publication over the configured legacy tables and the catalog
// (public.activities) when it is missing; returns whether it created it. Throws DbError.
bool ensure_publication(apply::Connection& source, const config::Config& config);

// The catalog rule (mapping.md) needs the publication to carry public.activities. Adds it to an
// existing publication that lacks it when this role may (it owns publication and table, as when
// it created them); otherwise returns what to tell the operator. nullopt: the catalog is
// followed. Throws DbError when the source cannot be read.
std::optional<std::string> ensure_catalog_published(apply::Connection& source,
                                                    const config::Config& config);

// Throws apply::DbError (connection) or config::ConfigError (unreadable password file).
apply::Connection connect_source(const config::Config& config);
apply::Connection connect_target(const config::Config& config);

// Whether source and target are the same database (same cluster and database name).
bool same_database(apply::Connection& source, apply::Connection& target);

struct BridgePositions {
  Lsn source_current;  // pg_current_wal_lsn() on the source, read last
  bool slot_exists = false;
  bool slot_active = false;
  int active_pid = 0;
  std::string wal_status;  // reserved | extended | unreserved | lost ('' without slot)
  std::optional<Lsn> restart_lsn;
  std::optional<Lsn> confirmed_flush;
  std::optional<Lsn> reported_applied;  // replay_lsn of the daemon's walsender, when running
  bool origin_exists = false;
  std::optional<Lsn> origin_applied;  // the target origin's remote_lsn
  std::uint64_t retained_wal_bytes = 0;

  // The highest position known applied (see the header); invalid when nothing is known.
  Lsn applied() const;
  // Bytes of source WAL the bridge has yet to look at (source_current - applied()).
  std::uint64_t lag_bytes() const { return source_current.bytes_since(applied()); }
};

// Reads the positions of the configured slot (source) and origin (target). Throws DbError.
BridgePositions read_positions(apply::Connection& source, apply::Connection& target,
                               const config::Config& config);

// Polls read_positions until applied() >= `position` or `timeout` passes (0: one look), or
// until the slot has had no daemon for `idle_limit` in a row (a stopped bridge applies nothing;
// the limit outlasts a daemon's reconnect backoff and a systemd restart). Returns the last
// positions read; the caller compares applied() with `position` (and slot_active).
BridgePositions wait_until_applied(
    apply::Connection& source, apply::Connection& target, const config::Config& config,
    Lsn position, std::chrono::milliseconds timeout,
    std::chrono::milliseconds idle_limit = std::chrono::milliseconds::max());

// How long a slot without a daemon is taken as a stopped bridge rather than one reconnecting:
// the configured maximum reconnect backoff plus a systemd restart (RestartSec=5s) and margin.
std::chrono::milliseconds stopped_bridge_after(const config::Config& config);

// The source's current WAL position (pg_current_wal_lsn()).
Lsn current_wal_lsn(apply::Connection& source);

}  // namespace dualwrite::admin
