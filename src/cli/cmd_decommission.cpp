// `dualwrite decommission [--wait DURATION] [--max-verify-age DURATION] [--dry-run]`: Phase 3.
// Drops the slot (source), the publication (source) and the replication origin (target), in
// that order, once every gate holds; prints one line per gate and per step. Idempotent: what is
// already gone is said so and skipped; with nothing left it says so and exits 0. The
// publication is dropped only by a role that owns it: the Phase 0 migration creates it as the
// tables' owner, so run as the bridge's role `dualwrite` (the runbook's way) it is kept, with a
// line saying so, for the Phase 3 cleanup.
//
// The gates (each `ok` or `FAIL <how to meet it>`); any FAIL refuses and drops nothing:
//   daemon stopped  the slot is not active. Dropping an active slot fails anyway, and a running
//                   daemon would recreate what we drop. `systemctl stop dualwrite`.
//   bootstrap       finished, when dualwrite.bootstrap has a row for the slot.
//   caught up       nothing the bridge still has to apply. While the daemon holds the slot we
//                   wait (up to --wait, 30s) for it to stop; if it still runs, its applied
//                   position is compared with the source's WAL position read at the start
//                   (informative: the daemon gate refuses anyway). Once it is stopped the
//                   positions no longer move while the source's WAL still grows (other tables
//                   and databases, checkpoints), so "applied >= current WAL" would refuse
//                   forever; instead the slot is peeked (nothing consumed): no transaction on
//                   the published tables may remain that commits at or after the applied
//                   position, up to now. Without a slot there is nothing left to stream: ok.
//   verified        the latest dualwrite.verify_runs row (the last verify started) is finished
//                   and clean, finished within --max-verify-age (24h), and nothing changed the
//                   new tables after it looked:
//                     * the target origin is not past the run's applied_lsn. The origin moves
//                       only in the transactions that write the bridge's changes, so this says
//                       "no legacy change was applied after the verification". (The slot's
//                       confirmed position is not used: an idle daemon moves it with every
//                       keepalive, which would expire a verification with no data changed.)
//                     * no dead letter was retried or resolved since the run started (a retry
//                       writes the new tables outside the stream).
//                   With the caught-up gate this means: what verify compared is final.
//   dead letters    none unresolved: each is a legacy change the new tables lack.
//
// Exit status: 0 done (or nothing left, or --dry-run with every gate met); 2 refused (a gate is
// unmet) or bad arguments; 4/5 the source/target cannot be reached or a drop failed there (the
// other drops are still attempted).
// Where its SQL lives: sql/cli/publication_owner.sql; the positions, the verification and the
// dead letters it reads through the admin stage (admin/inspect.hpp, admin/bridge.hpp).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/cli.hpp"

namespace dualwrite::cli {

namespace {

using namespace std::chrono_literals;

struct Options {
  ConfigOption config;
  std::string wait = "30s";
  std::string max_verify_age = "24h";
  bool dry_run = false;
};

class Gates {
 public:
  void ok(const char* gate, const std::string& detail) {
    std::printf("ok   %s: %s\n", gate, detail.c_str());
  }
  void fail(const char* gate, const std::string& detail) {
    ++unmet_;
    std::printf("FAIL %s: %s\n", gate, detail.c_str());
  }
  int unmet() const { return unmet_; }

 private:
  int unmet_ = 0;
};

std::string plural(std::int64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string duration_text(double seconds) {
  char buf[32];
  if (seconds >= 2 * 3600) {
    std::snprintf(buf, sizeof buf, "%.1fh", seconds / 3600);
  } else if (seconds >= 120) {
    std::snprintf(buf, sizeof buf, "%.0fmin", seconds / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  }
  return buf;
}

void verified_gate(Gates& gates, apply::Connection& tgt, const admin::BridgePositions& p,
                   std::chrono::milliseconds max_age, const std::string& max_age_text) {
  constexpr const char* gate = "verified";
  const auto v = admin::latest_verify_run(tgt);
  if (!v) {
    gates.fail(gate,
               "no verification recorded: run `dualwrite verify` once the bridge has "
               "caught up");
    return;
  }
  const std::string run = "verify run #" + std::to_string(v->id);
  if (v->finished_at.empty()) {
    gates.fail(gate, run + " (started " + v->started_at +
                         ") has not finished: wait for it, or run `dualwrite verify` again if it "
                         "was interrupted");
    return;
  }
  if (!v->clean.value_or(false)) {
    gates.fail(gate, run + " found " +
                         (v->mismatches ? std::to_string(*v->mismatches) : std::string("some")) +
                         " mismatches: resolve them and run `dualwrite verify` until it is clean");
    return;
  }
  const double age = v->age_seconds.value_or(0);
  if (age * 1000.0 > static_cast<double>(max_age.count())) {
    gates.fail(gate, run + " finished " + duration_text(age) + " ago, more than --max-verify-age " +
                         max_age_text + ": run `dualwrite verify` again");
    return;
  }
  if (!v->applied_lsn) {
    gates.fail(gate, run + " recorded no applied position: run `dualwrite verify` again");
    return;
  }
  if (p.origin_applied && *p.origin_applied > *v->applied_lsn) {
    gates.fail(gate, "the bridge applied changes after " + run + " (origin at " +
                         p.origin_applied->to_string() + ", verified at " +
                         v->applied_lsn->to_string() + "): run `dualwrite verify` again");
    return;
  }
  if (const auto n = admin::dead_letters_resolved_since_verify(tgt, v->id); n > 0) {
    gates.fail(gate, plural(n, "dead letter") + " retried or resolved after " + run +
                         " started: run `dualwrite verify` again");
    return;
  }
  gates.ok(gate, run + " clean, finished " + v->finished_at + " (" + duration_text(age) +
                     " ago), at applied " + v->applied_lsn->to_string());
}

// One drop step: says what it did, what was already gone, or why it failed (and remembers the
// first failure's exit code).
struct Steps {
  bool dry_run = false;
  int code = 0;
  void done(const std::string& what) {
    std::printf("%s %s\n", dry_run ? "would drop" : "dropped", what.c_str());
    std::fflush(stdout);
  }
  void gone(const std::string& what) { std::printf("%s: already gone\n", what.c_str()); }
  void kept(const std::string& what, const std::string& why) {
    std::printf("%s %s: %s\n", dry_run ? "would keep" : "kept", what.c_str(), why.c_str());
  }
  void failed(ErrorDomain domain, const std::string& what, const std::string& why) {
    std::fflush(stdout);
    std::fprintf(stderr, "dualwrite: cannot drop %s: %s\n", what.c_str(), why.c_str());
    if (code == 0) code = exit_code(domain);
  }
  // Drops `what` on `side` with `drop` (only said, in a dry run); a failure is reported with
  // the server's message and `hint`, and decides the exit code.
  void drop(ErrorDomain side, const std::string& what, const std::function<void()>& statement,
            const std::string& hint = "") {
    if (dry_run) return done(what);
    if (auto dropped = pg::attempt(side, statement); !dropped) {
      return failed(side, what, pg::one_line(dropped.error().message) + hint);
    }
    done(what);
  }
};

// The bridge's publication as decommission sees it. It is its owner's to drop (CREATE
// PUBLICATION … FOR TABLE needs the tables' owner, so the Phase 0 migration made it): a bridge
// role that does not own it leaves it to the Phase 3 cleanup rather than fail.
struct Publication {
  bool exists = false;
  bool ours = false;  // this role may drop it
  std::string owner;
};

Publication read_publication(apply::Connection& src, const config::Config& cfg) {
  auto r = src.query(sql::cli::publication_owner, {cfg.source.publication.c_str()});
  Publication pub;
  pub.exists = PQntuples(r.get()) == 1;
  pub.ours = pub.exists && *PQgetvalue(r.get(), 0, 0) == 't';
  if (pub.exists) pub.owner = PQgetvalue(r.get(), 0, 1);
  return pub;
}

// What the lines call the three things decommission drops.
struct Names {
  std::string slot, publication, origin;
  explicit Names(const config::Config& cfg)
      : slot("slot " + cfg.source.slot + " (source)"),
        publication("publication " + cfg.source.publication + " (source)"),
        origin("origin " + cfg.source.origin + " (target)") {}
};

// Waits (up to `wait`) for the daemon to let go of the slot: it may be finishing its last batch
// after `systemctl stop`; while it runs, its applied position may still reach the start.
void wait_for_daemon(apply::Connection& src, apply::Connection& tgt, const config::Config& cfg,
                     std::chrono::milliseconds wait, admin::BridgePositions& p) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (p.slot_exists && p.slot_active && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    p = admin::read_positions(src, tgt, cfg);
  }
}

void daemon_stopped_gate(Gates& gates, const config::Config& cfg, const admin::BridgePositions& p) {
  if (!p.slot_exists) {
    gates.ok("daemon stopped", "slot " + cfg.source.slot + " is gone");
  } else if (p.slot_active) {
    gates.fail("daemon stopped",
               "slot " + cfg.source.slot + " is held by pid " + std::to_string(p.active_pid) +
                   " (the daemon is running): stop it first (systemctl stop dualwrite), or give "
                   "it longer (--wait)");
  } else {
    gates.ok("daemon stopped", "slot " + cfg.source.slot + " is not active");
  }
}

void bootstrap_gate(Gates& gates, apply::Connection& tgt, const config::Config& cfg) {
  if (const auto b = admin::read_bootstrap(tgt, cfg.source.slot); !b) {
    gates.ok("bootstrap", "none recorded for slot " + cfg.source.slot);
  } else if (!b->finished) {
    gates.fail("bootstrap", "the bootstrap of slot " + cfg.source.slot + " is unfinished (" +
                                std::to_string(b->chunks_done) + " of " +
                                std::to_string(b->chunks_total) +
                                " chunks done): finish it (rerun `dualwrite bootstrap`, it "
                                "resumes) and let the daemon catch up");
  } else {
    gates.ok("bootstrap", "finished " + b->finished_at);
  }
}

// `start`: the source's WAL position when decommission started.
void caught_up_gate(Gates& gates, apply::Connection& src, const config::Config& cfg,
                    const admin::BridgePositions& p, Lsn start) {
  const Lsn applied = p.applied();
  if (!p.slot_exists) {
    gates.ok("caught up", "no slot: nothing left to stream");
  } else if (p.slot_active) {
    if (applied >= start) {
      gates.ok("caught up", "applied " + applied.to_string() + " >= " + start.to_string() +
                                " (the source position at start)");
    } else {
      gates.fail("caught up", "applied " + applied.to_string() + " is " +
                                  std::to_string(start.bytes_since(applied)) +
                                  " bytes behind the source (" + start.to_string() +
                                  "): let the daemon catch up (dualwrite status), then stop it");
    }
  } else {
    auto counted = pg::attempt(ErrorDomain::source,
                               [&] { return admin::pending_transactions(src, cfg, applied); });
    if (counted) {
      const auto pending = *counted;
      if (pending == 0) {
        gates.ok("caught up", "no transaction left in slot " + cfg.source.slot +
                                  " past the applied position " + applied.to_string());
      } else {
        gates.fail("caught up",
                   plural(pending, "transaction") + " in slot " + cfg.source.slot +
                       " not applied (applied position " + applied.to_string() + ", source at " +
                       start.to_string() +
                       "): start the daemon (systemctl start dualwrite) until `dualwrite "
                       "status` shows no lag, stop it, and run decommission again");
      }
    } else {
      gates.fail("caught up", "cannot read slot " + cfg.source.slot + " to see what is pending: " +
                                  pg::one_line(counted.error().message));
    }
  }
}

void dead_letters_gate(Gates& gates, apply::Connection& tgt) {
  const auto letters = admin::dead_letter_summary(tgt);
  if (letters.unresolved == 0) {
    gates.ok("dead letters", "none unresolved");
    return;
  }
  std::string reasons;
  for (const auto& [reason, n] : letters.by_reason) {
    if (!reasons.empty()) reasons += ", ";
    reasons += reason + " " + std::to_string(n);
  }
  gates.fail("dead letters",
             std::to_string(letters.unresolved) + " unresolved (" + reasons +
                 "): fix the cause and `dualwrite dead-letters retry --reason R`, or mark each "
                 "one `dualwrite dead-letters resolve ID`; then verify again");
}

void drop_slot(Steps& steps, apply::Connection& src, const config::Config& cfg,
               const admin::BridgePositions& p, const Names& names) {
  if (!p.slot_exists) return steps.gone(names.slot);
  steps.drop(ErrorDomain::source, names.slot,
             [&] { src.query("SELECT pg_drop_replication_slot($1)", {cfg.source.slot.c_str()}); });
}

void drop_publication(Steps& steps, apply::Connection& src, const config::Config& cfg,
                      const Publication& pub, const Names& names) {
  const std::string quoted = admin::quote_ident(cfg.source.publication);
  if (!pub.exists) {
    steps.gone(names.publication);
  } else if (!pub.ours) {
    steps.kept(names.publication, "owned by " + pub.owner +
                                      ", not by this role: the Phase 3 cleanup drops it (or DROP "
                                      "PUBLICATION " +
                                      quoted + " as " + pub.owner + ")");
  } else {
    steps.drop(
        ErrorDomain::source, names.publication,
        [&] {
          src.exec(src.scalar("SELECT format('DROP PUBLICATION IF EXISTS %I', $1::text)",
                              {cfg.source.publication.c_str()}));
        },
        " (a publication is dropped by its owner: run DROP PUBLICATION " + quoted +
            " as that role)");
  }
}

void drop_origin(Steps& steps, apply::Connection& tgt, const config::Config& cfg,
                 const admin::BridgePositions& p, const Names& names) {
  if (!p.origin_exists) return steps.gone(names.origin);
  steps.drop(ErrorDomain::target, names.origin, [&] {
    tgt.query("SELECT pg_replication_origin_drop($1)", {cfg.source.origin.c_str()});
  });
}

// The command: the options read, both sides reached; the gates, each on its line; the drops
// when every gate holds.
int decommission_command(const Options& o) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  constexpr const char* kDuration = "must be a duration such as 250ms, 10s, 5min or 2h";
  const auto wait = duration_option("--wait", o.wait, kDuration);
  if (!wait) return exit_code(ErrorDomain::usage);
  const auto max_age = duration_option("--max-verify-age", o.max_verify_age, kDuration);
  if (!max_age) return exit_code(ErrorDomain::usage);

  std::optional<apply::Connection> src;
  std::optional<apply::Connection> tgt;
  if (const int code = connect_both(cfg, src, tgt); code != 0) return code;

  const Names names(cfg);
  Gates gates;
  admin::BridgePositions p;
  Publication pub;
  // Each step names the side it reads, whose failure decides the exit code.
  Lsn start;
  if (auto read = pg::attempt(ErrorDomain::source,
                              [&] {
                                start = admin::current_wal_lsn(*src);
                                pub = read_publication(*src, cfg);
                              });
      !read) {
    return refuse(read.error());
  }
  auto positions =
      pg::attempt(ErrorDomain::target, [&] { return admin::read_positions(*src, *tgt, cfg); });
  if (!positions) return refuse(positions.error());
  p = *positions;
  if (!p.slot_exists && !pub.ours && !p.origin_exists) {
    const std::string publication = pub.exists ? names.publication + " is " + pub.owner +
                                                     "'s to drop (the Phase 3 cleanup does)"
                                               : names.publication + " is gone too";
    std::printf("nothing left to decommission: %s and %s are gone; %s\n", names.slot.c_str(),
                names.origin.c_str(), publication.c_str());
    return 0;
  }
  if (auto gated = pg::attempt(ErrorDomain::target,
                               [&] {
                                 wait_for_daemon(*src, *tgt, cfg, *wait, p);
                                 daemon_stopped_gate(gates, cfg, p);
                                 bootstrap_gate(gates, *tgt, cfg);
                               });
      !gated) {
    return refuse(gated.error());
  }
  if (auto gated =
          pg::attempt(ErrorDomain::source, [&] { caught_up_gate(gates, *src, cfg, p, start); });
      !gated) {
    return refuse(gated.error());
  }
  if (auto gated = pg::attempt(ErrorDomain::target,
                               [&] {
                                 verified_gate(gates, *tgt, p, *max_age, o.max_verify_age);
                                 dead_letters_gate(gates, *tgt);
                               });
      !gated) {
    return refuse(gated.error());
  }

  std::fflush(stdout);  // the gates before the verdict, also when both go to one pipe
  if (gates.unmet() > 0) {
    std::fprintf(stderr, "dualwrite: decommission refused: %d gate%s unmet, nothing dropped\n",
                 gates.unmet(), gates.unmet() == 1 ? "" : "s");
    return exit_code(ErrorDomain::usage);
  }

  // The slot first: it is what holds WAL on the source and what the daemon would resume from;
  // once it is gone the publication and the origin are only leftovers. Each drop is attempted
  // whatever happened to the one before.
  Steps steps{o.dry_run};
  drop_slot(steps, *src, cfg, p, names);
  drop_publication(steps, *src, cfg, pub, names);
  drop_origin(steps, *tgt, cfg, p, names);
  if (steps.code == 0 && o.dry_run) {
    std::printf("dry run: every gate is met; nothing was dropped\n");
  } else if (steps.code == 0) {
    std::printf(pub.exists && !pub.ours
                    ? "decommissioned: the bridge has left no slot or origin; its publication "
                      "goes with the Phase 3 cleanup\n"
                    : "decommissioned: the bridge has left no slot, publication or origin\n");
  }
  return steps.code;
}

}  // namespace

Command make_decommission_command() {
  return Command{
      "decommission",
      "Phase 3: once stopped, caught up and verified, drop the slot, publication and origin",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        add_config_option(app, {o, &o->config});
        app.add_option("--wait", o->wait,
                       "How long to wait for the daemon to release the slot (default 30s)");
        app.add_option("--max-verify-age", o->max_verify_age,
                       "The last clean verification must be younger than this (default 24h)");
        app.add_flag("--dry-run", o->dry_run, "Check the gates and say what would be dropped");
        return [o] { return decommission_command(*o); };
      }};
}

}  // namespace dualwrite::cli
