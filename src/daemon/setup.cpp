#include "dualwrite/daemon/setup.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/admin/privileges.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/core/text.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/daemon.hpp"
#include "dualwrite/stream/replication.hpp"

namespace dualwrite::daemon {

namespace {

// Where the bridge stood before its slot went missing: the origin's progress, or else (origin
// dropped too) the consistent point of the slot's finished bootstrap, from which the new tables
// were filled. Invalid `at`: nothing recorded, a fresh bridge.
struct RecordedProgress {
  Lsn at;
  bool from_origin = false;
};

// What `run` is about to leave out, recorded with the slot's consistent point once it exists.
struct PendingGap {
  const char* kind;          // slot_recreated | not_backfilled
  std::optional<Lsn> from;   // nullopt for not_backfilled
  std::string acknowledged;  // the flag as the operator gave it
  std::string tables;        // not_backfilled: the legacy tables that held rows
};

// A bootstrap that has not finished owns the new tables: a streamed change to a row its backfill
// has not reached yet would collide with the backfill when it resumes.
Status check_bootstrap_finished(apply::Connection& target, const config::Config& config) {
  const auto b = admin::read_bootstrap(target, config.source.slot);
  if (!b || b->finished) return Ok{};
  return make_error(ErrorDomain::usage,
                    "the bootstrap of slot " + config.source.slot + " has not finished (" +
                        std::to_string(b->chunks_done) + " of " + std::to_string(b->chunks_total) +
                        " chunks done): run `dualwrite bootstrap` again to resume it, then start "
                        "the daemon");
}

RecordedProgress recorded_progress(apply::Connection& target, const config::Config& config) {
  bool found = false;
  const std::string origin =
      target.scalar(sql::daemon::origin_progress, {config.source.origin.c_str()}, &found);
  if (found && !origin.empty()) {
    const Lsn at = Lsn::parse(origin).value_or(Lsn::invalid());
    if (at.is_valid()) return {at, true};
  }
  if (const auto b = admin::read_bootstrap(target, config.source.slot); b && b->finished) {
    return {b->consistent_point, false};
  }
  return {};
}

// Whether the source role may look into every configured legacy table: under row-level security
// without a policy for it (account_metadata has RLS since 20261204000600) a table reads as empty,
// and a populated database would pass for a fresh one. The first shortfall as a refusal.
std::optional<Error> unreadable_legacy_tables(apply::Connection& source,
                                              const config::Config& config) {
  std::vector<admin::Requirement> mine;
  for (const auto& r : admin::required_privileges(config)) {
    if (r.side == admin::Side::source && (r.commands & admin::kRun) &&
        std::string(r.check) == admin::kLegacyTablesCheck) {
      mine.push_back(r);
    }
  }
  const std::string role = source.scalar("SELECT current_user");
  for (const auto& shortfall : admin::missing_privileges(source, role, admin::Side::source, mine)) {
    if (shortfall.object_missing) continue;  // the look itself names a missing table
    return make_error(ErrorDomain::source,
                      "cannot tell whether the legacy tables are empty: " + shortfall.line(role) +
                          ". Nothing was created: fix it (`dualwrite check` lists every "
                          "shortfall), then start again");
  }
  return std::nullopt;
}

// The configured legacy tables that hold at least one row (as the source role sees them).
std::vector<std::string> legacy_tables_with_rows(apply::Connection& source,
                                                 const config::Config& config) {
  std::vector<std::string> busy;
  for (const auto& table : config.source.tables) {
    const std::string name = "public." + admin::quote_ident(table);
    if (source.scalar("SELECT EXISTS (SELECT FROM " + name + ")") == "t") busy.push_back(name);
  }
  return busy;
}

Error dropped_slot_refusal(const config::Config& config, const RecordedProgress& progress) {
  const std::string& slot = config.source.slot;
  const std::string at = progress.at.to_string();
  const std::string where = progress.from_origin
                                ? "origin " + config.source.origin + " has applied up to " + at
                                : "its bootstrap (origin " + config.source.origin +
                                      " gone too) started streaming at " + at;
  return make_error(
      ErrorDomain::slot_lost,
      "replication slot " + slot + " does not exist, but " + where +
          ": the slot was dropped, and the legacy changes committed after " + at +
          " are in no slot any more. Nothing was changed. Either start over with `dualwrite "
          "bootstrap` (after emptying the new tables: docs/cutover.md, \"Slot dropped\"), or "
          "accept losing those changes: `dualwrite run --accept-gap-from " +
          at + "` (recorded for `dualwrite status` and `dualwrite verify`)");
}

Error populated_refusal(const config::Config& config, const std::vector<std::string>& tables) {
  return make_error(ErrorDomain::usage,
                    "the legacy tables hold rows (" + join(tables) + ") and slot " +
                        config.source.slot +
                        " was never bootstrapped: streaming would start now and never copy "
                        "them. Nothing was created: run `dualwrite bootstrap` first (it copies "
                        "them; then start the daemon), or, to leave them behind deliberately, "
                        "`dualwrite run --skip-backfill`");
}

// Decides, for a missing slot, whether `run` may create it and what it leaves out.
// Database errors are thrown (apply::DbError); the caller names the side.
Result<std::optional<PendingGap>> decide(const RecordedProgress& progress,
                                         apply::Connection& source, const config::Config& config,
                                         const SetupOptions& options) {
  if (progress.at.is_valid()) {
    if (!options.accept_gap_from) return dropped_slot_refusal(config, progress);
    const std::string at = progress.at.to_string();
    if (*options.accept_gap_from != progress.at) {
      return make_error(ErrorDomain::usage,
                        "--accept-gap-from " + options.accept_gap_from->to_string() +
                            " does not match where the bridge stopped: it applied up to " + at +
                            ", so what is lost is what was committed after " + at +
                            ". Nothing was changed; to accept exactly that, pass "
                            "--accept-gap-from " +
                            at);
    }
    return std::optional<PendingGap>(
        PendingGap{"slot_recreated", progress.at, "--accept-gap-from " + at, ""});
  }
  if (options.accept_gap_from) {
    spdlog::warn(
        "--accept-gap-from {}: origin {} has recorded no progress, so there is no gap "
        "to accept; ignored",
        options.accept_gap_from->to_string(), config.source.origin);
  }
  if (auto refusal = unreadable_legacy_tables(source, config)) return *refusal;
  const auto busy = legacy_tables_with_rows(source, config);
  if (busy.empty()) {
    if (options.skip_backfill) {
      spdlog::info("--skip-backfill: the legacy tables are empty, nothing to leave behind");
    }
    return std::optional<PendingGap>();
  }
  if (!options.skip_backfill) return populated_refusal(config, busy);
  return std::optional<PendingGap>(
      PendingGap{"not_backfilled", std::nullopt, "--skip-backfill", join(busy)});
}

// In one target transaction: the origin (created when missing) moved to the new slot's
// consistent point, and the gap recorded. pg_replication_origin_advance is not undone by a
// rollback, so it comes last, after the insert that could fail. Returns the gap's id (0: none).
std::int64_t start_origin_at(apply::Connection& target, const config::Config& config, Lsn point,
                             const std::optional<PendingGap>& gap) {
  const char* origin = config.source.origin.c_str();
  const std::string at = point.to_string();
  std::int64_t id = 0;
  target.exec("BEGIN");
  try {
    pg::create_origin_if_missing(target, config.source.origin);
    if (gap) {
      const std::string from = gap->from ? gap->from->to_string() : std::string();
      const std::string recorded = target.scalar(
          sql::daemon::insert_stream_gap,
          {config.source.slot.c_str(), origin, gap->kind, gap->from ? from.c_str() : nullptr,
           at.c_str(), gap->acknowledged.c_str()});
      id = std::stoll(recorded);
    }
    target.query("SELECT pg_replication_origin_advance($1, $2::pg_lsn)", {origin, at.c_str()});
    target.exec("COMMIT");
  } catch (...) {
    if (target.ok()) target.exec("ROLLBACK");
    throw;
  }
  return id;
}

void log_gap(const config::Config& config, const PendingGap& gap, Lsn point, std::int64_t id) {
  const std::string at = point.to_string();
  if (gap.from) {
    spdlog::warn(
        "accepted a gap: legacy changes committed from {} to {} were never applied "
        "and will not be (slot {} was dropped and is created again; {}); recorded as "
        "dualwrite.stream_gaps #{}, which `dualwrite status` and `dualwrite verify` "
        "report",
        gap.from->to_string(), at, config.source.slot, gap.acknowledged, id);
  } else {
    spdlog::warn(
        "--skip-backfill: the rows the legacy tables held before {} ({}) are not "
        "copied to the new tables; streaming starts there. Recorded as "
        "dualwrite.stream_gaps #{}, which `dualwrite status` and `dualwrite verify` "
        "report",
        at, gap.tables, id);
  }
}

// Creates the slot and starts the origin at its consistent point (recording `gap`). When the
// target step fails, the new slot is dropped again so that the next start decides afresh.
Status create_slot(apply::Connection& source, const config::Config& config,
                   const std::optional<PendingGap>& gap) {
  Lsn point;
  {
    auto repl = stream::ReplicationConnection::connect(admin::source_conninfo(config));
    if (!repl) return repl.error();
    auto created = repl->create_slot(config.source.slot, stream::SnapshotAction::nothing);
    if (!created) return created.error();
    point = created->consistent_point;
  }
  spdlog::info("created replication slot {} at {}", config.source.slot, point.to_string());
  auto started = pg::attempt(ErrorDomain::target, [&] {
    auto target = admin::connect_target(config);
    const std::int64_t id = start_origin_at(target, config, point, gap);
    if (gap) log_gap(config, *gap, point, id);
  });
  if (started) return Ok{};
  auto dropped = pg::attempt(ErrorDomain::source, [&] {
    source.query("SELECT pg_drop_replication_slot($1)", {config.source.slot.c_str()});
  });
  if (dropped) {
    spdlog::info("dropped the new slot {} again: nothing was started", config.source.slot);
  } else {
    spdlog::critical(
        "cannot drop the new slot {} ({}): drop it by hand (SELECT "
        "pg_drop_replication_slot('{}')) before starting again",
        config.source.slot, dropped.error().message, config.source.slot);
  }
  return make_error(ErrorDomain::target, "target: " + started.error().message);
}

// One step of the setup against `side`: a database error becomes that side's error, named
// after it ("source: …"), so that a failure exits with that side's code.
template <typename Body>
auto on_side(ErrorDomain side, Body&& body) {
  auto done = pg::attempt(side, std::forward<Body>(body));
  if (!done) done = make_error(side, std::string(to_string(side)) + ": " + done.error().message);
  return done;
}

// The publication (and the catalog in it) as the bridge needs them; then the slot's WAL state
// ('lost' when invalidated), or nullopt when the slot does not exist.
std::optional<std::string> publish_and_find_slot(apply::Connection& source,
                                                 const config::Config& config) {
  if (admin::ensure_publication(source, config)) {
    spdlog::info("created publication {} for {} legacy tables and the catalog",
                 config.source.publication, config.source.tables.size());
  }
  // Not a refusal: the legacy tables are still carried, only the catalog rule is not, and
  // stopping the bridge would lose more than it protects. `check` fails on it.
  if (auto missing = admin::ensure_catalog_published(source, config)) {
    spdlog::warn("{}", *missing);
  }
  bool found = false;
  std::string wal_status =
      source.scalar(sql::daemon::slot_wal_status, {config.source.slot.c_str()}, &found);
  if (!found) return std::nullopt;
  return wal_status;
}

}  // namespace

Status ensure_replication_setup(const config::Config& config, const SetupOptions& options) {
  try {
    auto source = on_side(ErrorDomain::source,
                          [&] { return apply::Connection::open(admin::source_conninfo(config)); });
    if (!source) return source.error();
    auto target = on_side(ErrorDomain::target, [&] { return admin::connect_target(config); });
    if (!target) return target.error();
    auto finished =
        on_side(ErrorDomain::target, [&] { return check_bootstrap_finished(*target, config); });
    if (!finished) return finished.error();
    if (!*finished) return *finished;
    auto wal_status =
        on_side(ErrorDomain::source, [&] { return publish_and_find_slot(*source, config); });
    if (!wal_status) return wal_status.error();
    if (*wal_status) {
      if (**wal_status == "lost") {
        return make_error(ErrorDomain::slot_lost,
                          "replication slot " + config.source.slot +
                              " is invalidated (wal_status = lost): WAL it needed was removed; "
                              "drop it and bootstrap again");
      }
      if (options.accept_gap_from || options.skip_backfill) {
        spdlog::info(
            "slot {} exists: --accept-gap-from and --skip-backfill only apply when "
            "`run` creates the slot; ignored",
            config.source.slot);
      }
      return Ok{};
    }
    auto progress =
        on_side(ErrorDomain::target, [&] { return recorded_progress(*target, config); });
    if (!progress) return progress.error();
    auto decided =
        on_side(ErrorDomain::source, [&] { return decide(*progress, *source, config, options); });
    if (!decided) return decided.error();
    if (!*decided) return decided->error();
    auto created =
        on_side(ErrorDomain::source, [&] { return create_slot(*source, config, **decided); });
    if (!created) return created.error();
    return *created;
  } catch (const config::ConfigError& e) {
    return make_error(ErrorDomain::usage, e.what());
  }
}

}  // namespace dualwrite::daemon
