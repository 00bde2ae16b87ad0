// `dualwrite status [--json]`: where the bridge stands, read from outside the daemon (it may or
// may not be running): the slot, the confirmed and applied positions, the lag, the WAL the slot
// retains, unresolved dead letters, the last verification, the bootstrap and the gaps an
// operator accepted.
//
// Text: one aligned `key: value` line each. --json: one object, whose field names are a
// contract (scripts and runbooks read them):
//
//   slot                 {name, exists, active, active_pid (null unless active), wal_status
//                         (null without slot), restart_lsn (null)}
//   origin               {name, exists, lsn (the target origin's remote_lsn; null)}
//   daemon_running       true while a process holds the slot (the daemon's walsender)
//   source_current_lsn   pg_current_wal_lsn() on the source
//   confirmed_lsn        the slot's confirmed_flush_lsn (null without slot)
//   daemon_applied_lsn   the replay_lsn the running daemon reports (null when not running)
//   applied_lsn          the highest of origin, daemon_applied and confirmed (admin::
//                        BridgePositions::applied(); null when none is known)
//   lag_bytes            source_current_lsn - applied_lsn (null when applied_lsn is)
//   lag_seconds          replay_lag of the daemon's walsender; 0 when it runs and has applied
//                        all its walsender has read, or lag_bytes is 0;
//                        null when the daemon is not running or nothing was measured
//   retained_wal_bytes   WAL the source keeps for the slot (current - restart_lsn; null
//                        without slot)
//   dead_letters         {unresolved, by_reason: {reason: count}}
//   last_verification    null, or {id, started_at, finished_at (null while running), clean
//                        (null while running), mismatches (null), applied_lsn (null)}
//   bootstrap            null (never bootstrapped), or {finished, consistent_point, started_at,
//                        finished_at (null), chunks_done, chunks_total, snapshots}
//   gaps                 what the bridge was told to leave behind (dualwrite.stream_gaps),
//                        oldest first; [] when none: [{kind ("slot_recreated" |
//                        "not_backfilled"), from_lsn (null for not_backfilled), to_lsn,
//                        recorded_at, acknowledged_by (the flag as given), repaired (a later
//                        bootstrap copied everything again)}]
//
// LSNs are "X/X" strings, timestamps ISO 8601 UTC strings, byte counts integers.
// Exit status: 0 when it could report (also without a slot: it says so), 4 when the source
// cannot be reached or read, 5 the target, 2 for a bad config.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/decode/json.hpp"
#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  bool json = false;
};

struct Status {
  admin::BridgePositions positions;
  std::optional<double> lag_seconds;
  admin::DeadLetterSummary dead_letters;
  std::optional<admin::VerifyRun> verification;
  std::optional<admin::BootstrapState> bootstrap;
  std::vector<admin::StreamGap> gaps;
};

std::string json_string(std::string_view s) {
  std::string out;
  decode::append_json_string(s, out);
  return out;
}

std::string json_lsn(const std::optional<Lsn>& lsn) {
  return lsn && lsn->is_valid() ? json_string(lsn->to_string()) : "null";
}

std::string json_text(const std::string& s) {
  return s.empty() ? "null" : json_string(s);
}

std::string json_bool(bool b) {
  return b ? "true" : "false";
}

std::string json_number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", d);
  return buf;
}

std::optional<Lsn> applied_of(const admin::BridgePositions& p) {
  const Lsn a = p.applied();
  return a.is_valid() ? std::optional<Lsn>(a) : std::nullopt;
}

std::string render_json(const config::Config& cfg, const Status& s) {
  const auto& p = s.positions;
  const auto applied = applied_of(p);
  std::string o = "{";
  o += "\"slot\":{\"name\":" + json_string(cfg.source.slot) +
       ",\"exists\":" + json_bool(p.slot_exists) + ",\"active\":" + json_bool(p.slot_active) +
       ",\"active_pid\":" + (p.slot_active ? std::to_string(p.active_pid) : "null") +
       ",\"wal_status\":" + json_text(p.wal_status) +
       ",\"restart_lsn\":" + json_lsn(p.restart_lsn) + "}";
  o += ",\"origin\":{\"name\":" + json_string(cfg.source.origin) +
       ",\"exists\":" + json_bool(p.origin_exists) + ",\"lsn\":" + json_lsn(p.origin_applied) + "}";
  o += ",\"daemon_running\":" + json_bool(p.slot_active);
  o += ",\"source_current_lsn\":" + json_lsn(p.source_current);
  o += ",\"confirmed_lsn\":" + json_lsn(p.confirmed_flush);
  o += ",\"daemon_applied_lsn\":" + json_lsn(p.reported_applied);
  o += ",\"applied_lsn\":" + json_lsn(applied);
  o += ",\"lag_bytes\":" + (applied ? std::to_string(p.lag_bytes()) : "null");
  o += ",\"lag_seconds\":" + (s.lag_seconds ? json_number(*s.lag_seconds) : "null");
  o += ",\"retained_wal_bytes\":" +
       (p.slot_exists ? std::to_string(p.retained_wal_bytes) : std::string("null"));
  o += ",\"dead_letters\":{\"unresolved\":" + std::to_string(s.dead_letters.unresolved) +
       ",\"by_reason\":{";
  for (std::size_t i = 0; i < s.dead_letters.by_reason.size(); ++i) {
    const auto& [reason, n] = s.dead_letters.by_reason[i];
    if (i > 0) o += ",";
    o += json_string(reason) + ":" + std::to_string(n);
  }
  o += "}}";
  o += ",\"last_verification\":";
  if (const auto& v = s.verification) {
    o += "{\"id\":" + std::to_string(v->id) + ",\"started_at\":" + json_text(v->started_at) +
         ",\"finished_at\":" + json_text(v->finished_at) +
         ",\"clean\":" + (v->clean ? json_bool(*v->clean) : "null") +
         ",\"mismatches\":" + (v->mismatches ? std::to_string(*v->mismatches) : "null") +
         ",\"applied_lsn\":" + json_lsn(v->applied_lsn) + "}";
  } else {
    o += "null";
  }
  o += ",\"bootstrap\":";
  if (const auto& b = s.bootstrap) {
    o += "{\"finished\":" + json_bool(b->finished) +
         ",\"consistent_point\":" + json_lsn(b->consistent_point) +
         ",\"started_at\":" + json_text(b->started_at) +
         ",\"finished_at\":" + json_text(b->finished_at) +
         ",\"chunks_done\":" + std::to_string(b->chunks_done) +
         ",\"chunks_total\":" + std::to_string(b->chunks_total) +
         ",\"snapshots\":" + std::to_string(b->snapshots) + "}";
  } else {
    o += "null";
  }
  o += ",\"gaps\":[";
  for (std::size_t i = 0; i < s.gaps.size(); ++i) {
    const auto& g = s.gaps[i];
    if (i > 0) o += ",";
    o += "{\"kind\":" + json_string(g.kind) + ",\"from_lsn\":" + json_lsn(g.from_lsn) +
         ",\"to_lsn\":" + json_lsn(g.to_lsn) + ",\"recorded_at\":" + json_text(g.recorded_at) +
         ",\"acknowledged_by\":" + json_string(g.acknowledged_by) +
         ",\"repaired\":" + json_bool(g.repaired) + "}";
  }
  return o + "]}";
}

// "none recorded", or "2 recorded, 1 open; last: 0/A to 0/B (slot recreated, <when>, by <flag>)".
std::string gaps_text(const std::vector<admin::StreamGap>& gaps) {
  if (gaps.empty()) return "none recorded";
  std::size_t open = 0;
  for (const auto& g : gaps) open += g.repaired ? 0 : 1;
  const auto& last = gaps.back();
  std::string kind = last.kind;
  for (auto& c : kind) c = c == '_' ? ' ' : c;
  return std::to_string(gaps.size()) + " recorded, " + std::to_string(open) +
         " open; last: " + admin::describe_gap_range(last) + " (" + kind + ", " + last.recorded_at +
         ", by " + last.acknowledged_by + (last.repaired ? ", repaired by a later bootstrap" : "") +
         ")";
}

// "123456 bytes (120.6 KiB)"
std::string bytes_text(std::uint64_t n) {
  std::string out = std::to_string(n) + " bytes";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int unit = -1;
  while (v >= 1024.0 && unit < 3) {
    v /= 1024.0;
    ++unit;
  }
  if (unit >= 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.1f %s)", v, units[unit]);
    out += buf;
  }
  return out;
}

void render_text(const config::Config& cfg, const Status& s) {
  const auto& p = s.positions;
  const auto applied = applied_of(p);
  std::vector<std::pair<std::string, std::string>> lines;
  if (!p.slot_exists && p.origin_applied && p.origin_applied->is_valid()) {
    // The state `run` refuses (exit 6): what was committed since the origin is in no slot.
    lines.emplace_back("slot", cfg.source.slot + " does not exist, but origin " +
                                   cfg.source.origin + " has applied up to " +
                                   p.origin_applied->to_string() +
                                   ": it was dropped (docs/cutover.md, \"Slot dropped\")");
  } else if (!p.slot_exists) {
    lines.emplace_back("slot", cfg.source.slot +
                                   " does not exist (not bootstrapped, or decommissioned): "
                                   "`dualwrite bootstrap` creates it");
  } else {
    lines.emplace_back("slot",
                       cfg.source.slot + " (" +
                           (p.slot_active ? "active, walsender pid " + std::to_string(p.active_pid)
                                          : std::string("inactive: the daemon is not running")) +
                           ", wal_status " + p.wal_status + ")");
  }
  lines.emplace_back(
      "origin", cfg.source.origin +
                    (p.origin_exists ? " at " + (p.origin_applied ? p.origin_applied->to_string()
                                                                  : std::string("0/0"))
                                     : std::string(" does not exist")));
  lines.emplace_back("confirmed LSN",
                     p.confirmed_flush ? p.confirmed_flush->to_string() : std::string("none"));
  std::string applied_text = applied ? applied->to_string() : std::string("unknown");
  if (p.reported_applied)
    applied_text += " (daemon reports " + p.reported_applied->to_string() + ")";
  lines.emplace_back("applied LSN", applied_text);
  lines.emplace_back("source current LSN", p.source_current.to_string());
  lines.emplace_back("lag bytes", applied ? bytes_text(p.lag_bytes()) : std::string("unknown"));
  std::string seconds;
  if (s.lag_seconds) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", *s.lag_seconds);
    seconds = buf;
  } else {
    seconds = p.slot_active ? "unknown (no recent measurement)" : "unknown (daemon not running)";
  }
  lines.emplace_back("lag seconds", seconds);
  lines.emplace_back("retained WAL",
                     p.slot_exists ? bytes_text(p.retained_wal_bytes) : std::string("none"));
  std::string letters = std::to_string(s.dead_letters.unresolved) + " unresolved";
  if (!s.dead_letters.by_reason.empty()) {
    letters += " (";
    for (std::size_t i = 0; i < s.dead_letters.by_reason.size(); ++i) {
      if (i > 0) letters += ", ";
      letters += s.dead_letters.by_reason[i].first + " " +
                 std::to_string(s.dead_letters.by_reason[i].second);
    }
    letters += ")";
    const bool ddl = std::any_of(s.dead_letters.by_reason.begin(), s.dead_letters.by_reason.end(),
                                 [](const auto& r) { return r.first == "schema_mismatch"; });
    // Letters that only a schema fix (then an edit of the letter) gets past: say where to read.
    if (ddl) letters += "; schema_mismatch: DDL on a legacy table, see docs/cutover.md";
  }
  lines.emplace_back("dead letters", letters);
  if (const auto& v = s.verification) {
    std::string text = "#" + std::to_string(v->id);
    if (v->finished_at.empty()) {
      text += " started " + v->started_at + ", not finished (running or interrupted)";
    } else {
      text += " finished " + v->finished_at + ", ";
      text += v->clean.value_or(false) ? "clean" : "NOT clean";
      text += ", " + (v->mismatches ? std::to_string(*v->mismatches) : std::string("?")) +
              " mismatches";
      if (v->applied_lsn) text += ", applied " + v->applied_lsn->to_string();
    }
    lines.emplace_back("last verification", text);
  } else {
    lines.emplace_back("last verification", "none (run `dualwrite verify`)");
  }
  if (const auto& b = s.bootstrap) {
    std::string text = b->finished ? "finished " + b->finished_at
                                   : "unfinished, " + std::to_string(b->chunks_done) + "/" +
                                         std::to_string(b->chunks_total) + " chunks done";
    text += " (consistent point " + b->consistent_point.to_string() + ")";
    lines.emplace_back("bootstrap", text);
  } else {
    lines.emplace_back("bootstrap", "none recorded for slot " + cfg.source.slot);
  }
  lines.emplace_back("gaps", gaps_text(s.gaps));
  std::size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, key.size() + 1);
  for (const auto& [key, value] : lines) {
    std::printf("%-*s %s\n", static_cast<int>(width), (key + ":").c_str(), value.c_str());
  }
}

int status_command(const Options& o) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  // Which side failed decides the exit code, so each is connected and read in its own step.
  std::optional<apply::Connection> src;
  std::optional<apply::Connection> tgt;
  if (const int code = connect_both(cfg, src, tgt); code != 0) return code;
  Status s;
  // read_positions reads both sides; a failure there is attributed by which link broke.
  auto positions =
      pg::attempt(ErrorDomain::source, [&] { return admin::read_positions(*src, *tgt, cfg); });
  if (!positions) {
    Error e = positions.error();
    if (e.domain == ErrorDomain::source && src->ok()) e.domain = ErrorDomain::target;
    return refuse(e);
  }
  s.positions = *positions;
  auto lag = pg::attempt(ErrorDomain::source, [&] {
    if (s.positions.slot_active) {
      s.lag_seconds = admin::replay_lag_seconds(*src, s.positions.active_pid);
      if (!s.lag_seconds && s.positions.applied().is_valid() && s.positions.lag_bytes() == 0) {
        s.lag_seconds = 0.0;
      }
    }
  });
  if (!lag) return refuse(lag.error());
  auto target_side = pg::attempt(ErrorDomain::target, [&] {
    s.dead_letters = admin::dead_letter_summary(*tgt);
    s.verification = admin::latest_verify_run(*tgt);
    s.bootstrap = admin::read_bootstrap(*tgt, cfg.source.slot);
    s.gaps = admin::read_stream_gaps(*tgt, cfg.source.slot);
  });
  if (!target_side) return refuse(target_side.error());
  if (o.json) {
    std::printf("%s\n", render_json(cfg, s).c_str());
  } else {
    render_text(cfg, s);
  }
  return 0;
}

}  // namespace

Command make_status_command() {
  return Command{"status",
                 "Where the bridge stands: slot, confirmed/applied LSN, lag, retained WAL, dead "
                 "letters, last verification, bootstrap, accepted gaps",
                 [](CLI::App& app) -> std::function<int()> {
                   auto o = std::make_shared<Options>();
                   add_config_option(app, {o, &o->config});
                   app.add_flag("--json", o->json, "One JSON object (fields: see the docs)");
                   return [o] { return status_command(*o); };
                 }};
}

}  // namespace dualwrite::cli
