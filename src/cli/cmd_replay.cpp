// `dualwrite replay --from LSN [--to LSN] [--target CONNINFO] [--yes]`: re-applies the source
// transactions that end in [from, to] and that the slot still holds (admin/replay.hpp), through
// the normal apply, without a replication origin: idempotent, and the daemon's progress stays
// where it was. --to defaults to the applied position. --target applies to another database
// instead (a rehearsal; it needs the bridge's migrations). The daemon must be stopped.
//
// On the configured target it asks before writing, unless --yes; without a terminal to ask on
// it refuses. Exit status: 0; 2 for bad arguments, a range the slot no longer holds, a running
// daemon or a declined question; 4 source, 5 target, 6 slot lost.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/admin/replay.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  std::string from;
  std::string to;
  std::string target;
  bool yes = false;
};

int fail(const Error& e) {
  std::fflush(stdout);
  // The change it stopped at, when it stopped inside one: "... (likes insert, xid 740, ...)".
  std::fprintf(stderr, "dualwrite: %s\n", dualwrite::describe(e).c_str());
  return exit_code(e.domain);
}

// "database X on host Y", from a conninfo, without connecting (and without its password).
std::string describe(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    if (error != nullptr) PQfreemem(error);
    return "the database of --target";
  }
  std::string db, host;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    if (std::string_view(o->keyword) == "dbname") db = o->val;
    if (std::string_view(o->keyword) == "host") host = o->val;
  }
  PQconninfoFree(options);
  return "database " + (db.empty() ? std::string("(default)") : db) + " on " +
         (host.empty() ? std::string("the local socket") : host);
}

std::optional<Lsn> parse_lsn(const std::string& text, const char* option, int& status) {
  auto lsn = Lsn::parse(text);
  if (!lsn) {
    std::fprintf(stderr, "dualwrite: %s '%s' is not a WAL position (e.g. 16/B374D848)\n", option,
                 text.c_str());
    status = exit_code(ErrorDomain::usage);
  }
  return lsn;
}

bool confirmed_by_user(const std::string& what) {
  if (isatty(STDIN_FILENO) == 0) return false;
  std::printf("%s: proceed? [y/N] ", what.c_str());
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// The applied position, read on the target: the default --to, and the bound of a replay on the
// target itself. A rehearsal says how to do without it.
Result<Lsn> applied_position(const config::Config& cfg, apply::Connection& source, bool rehearsal) {
  auto position = pg::attempt(ErrorDomain::target, [&] {
    auto target = admin::connect_target(cfg);
    return admin::read_positions(source, target, cfg).applied();
  });
  if (!position) {
    return make_error(position.error().domain,
                      "target: " + position.error().message +
                          (rehearsal ? " (the applied position, the default --to, is "
                                       "read there: give --to to rehearse without it)"
                                     : ""));
  }
  return *position;
}

// No transaction of the slot ends in `range`: says so, and, when the slot holds more than was
// applied, who applies it. Only here: counting decodes the slot to its end, which a replay that
// did something should not pay for a hint.
void say_nothing_to_replay(const config::Config& cfg, apply::Connection& source,
                           const admin::ReplayRange& range, Lsn applied) {
  std::printf("nothing to replay: no transaction the slot holds ends in %s..%s\n",
              range.from.to_string().c_str(), range.to.to_string().c_str());
  if (!applied.is_valid()) return;
  // Only a hint: when it cannot be counted, the answer above stands.
  (void)pg::attempt(ErrorDomain::source, [&] {
    const auto pending = admin::pending_transactions(source, cfg, applied);
    if (pending > 0) {
      std::printf(
          "the slot also holds %lld transaction%s past the applied position %s, not yet "
          "applied: the daemon applies those (dualwrite run)\n",
          static_cast<long long>(pending), pending == 1 ? "" : "s", applied.to_string().c_str());
    }
  });
}

// Where the replay writes (--target, or the configured target) and how it names it.
apply::ApplyOptions replay_target(const Options& o, const config::Config& cfg, std::string& where) {
  if (!o.target.empty()) {
    apply::ApplyOptions options;
    options.conninfo = o.target;  // its password: libpq's own means (PGPASSWORD, passfile)
    where = describe(o.target) + " (--target)";
    return options;
  }
  auto options = admin::target_apply_options(cfg);
  where = "the configured target, " + describe(options.conninfo);
  return options;
}

// A replay onto the configured target: the note when --to is before the applied position, and
// the operator's yes (--yes, or asked on the terminal). Returns 0, or the refusal's status.
int confirm_replay(const Options& o, const admin::ReplayRange& range, Lsn applied) {
  if (range.to < applied) {
    std::printf(
        "note: --to is before the applied position %s: a row that later transactions changed "
        "again is set back to its state at --to, until those are replayed too (omit --to to "
        "replay up to the applied position)\n",
        applied.to_string().c_str());
  }
  if (o.yes) return 0;
  if (isatty(STDIN_FILENO) == 0) {
    return fail(make_error(ErrorDomain::usage,
                           "replay writes to the configured target: add --yes to confirm "
                           "(no terminal to ask on)"));
  }
  if (!confirmed_by_user("re-apply them")) {
    return fail(make_error(ErrorDomain::usage, "replay declined: nothing was written"));
  }
  return 0;
}

void print_report(const admin::ReplayReport& report) {
  std::printf(
      "replayed %llu transactions (ending %s..%s) in %llu target transactions: %llu changes, "
      "%llu rows written, %llu dead letters (%llu new)%s\n",
      static_cast<unsigned long long>(report.transactions), report.first_end.to_string().c_str(),
      report.last_end.to_string().c_str(),
      static_cast<unsigned long long>(report.target_transactions),
      static_cast<unsigned long long>(report.changes),
      static_cast<unsigned long long>(report.rows_written),
      static_cast<unsigned long long>(report.dead_letters),
      static_cast<unsigned long long>(report.new_dead_letters),
      report.careful_batches > 0 ? (", " + std::to_string(report.careful_batches) +
                                    " rejected batches applied again change by change")
                                       .c_str()
                                 : "");
}

// Replays [from, to] of the slot through `source`; returns the exit status. Database errors
// are the caller's (run_replay), except the target's, which say what --to would avoid.
int replay_through(const Options& o, const config::Config& cfg, apply::Connection& source, Lsn from,
                   std::optional<Lsn> to) {
  const bool rehearsal = !o.target.empty();
  auto slot = admin::check_idle_slot(source, cfg.source.slot, "replay");
  if (!slot) return fail(slot.error());

  Lsn applied;
  if (!to || !rehearsal) {
    auto position = applied_position(cfg, source, rehearsal);
    if (!position) return fail(position.error());
    applied = *position;
  }
  auto range = admin::check_replay_range({from, to, rehearsal}, slot->confirmed_flush, applied);
  if (!range) return fail(range.error());

  admin::SlotReaderOptions reader;
  reader.slot = cfg.source.slot;
  reader.publication = cfg.source.publication;
  auto span = admin::transactions_ending_in(source, reader, range->from, range->to);
  if (!span) return fail(span.error());
  if (span->transactions == 0) {
    say_nothing_to_replay(cfg, source, *range, applied);
    return 0;
  }

  std::string where;
  const apply::ApplyOptions apply_options = replay_target(o, cfg, where);
  std::printf("replaying %s transactions of slot %s (ending %s..%s) onto %s\n",
              std::to_string(span->transactions).c_str(), cfg.source.slot.c_str(),
              span->first_end.to_string().c_str(), span->last_end.to_string().c_str(),
              where.c_str());
  if (!rehearsal) {
    if (const int refused = confirm_replay(o, *range, applied); refused != 0) return refused;
  }

  admin::ReplayLimits limits;
  limits.batch_max_changes = cfg.apply.batch_max_changes;
  limits.batch_max_bytes = cfg.apply.batch_max_bytes;
  auto report = admin::replay(source, reader, *range, *span, apply_options, limits);
  if (!report) return fail(report.error());
  print_report(*report);
  return std::fflush(stdout) == 0 ? 0 : exit_code(ErrorDomain::internal);
}

int run_replay(const Options& o) {
  int status = 0;
  const auto from = parse_lsn(o.from, "--from", status);
  if (!from) return status;
  std::optional<Lsn> to;
  if (!o.to.empty()) {
    to = parse_lsn(o.to, "--to", status);
    if (!to) return status;
  }
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  try {
    auto done = pg::attempt(ErrorDomain::source, [&] {
      auto source = admin::connect_source(cfg);
      return replay_through(o, cfg, source, *from, to);
    });
    if (!done) {
      return fail(make_error(done.error().domain, std::string(to_string(done.error().domain)) +
                                                      ": " + done.error().message));
    }
    return *done;
  } catch (const config::ConfigError& e) {
    return fail(make_error(ErrorDomain::usage, std::string("config: ") + e.what()));
  }
}

}  // namespace

Command make_replay_command() {
  return Command{
      "replay",
      "Re-apply the source transactions that end in [--from, --to] and that the slot still "
      "holds (idempotent; the daemon must be stopped)",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        add_config_option(app, {o, &o->config});
        app.add_option("--from", o->from, "First position (a transaction's end LSN, or before)")
            ->required();
        app.add_option("--to", o->to, "Last position (default: the applied position)");
        app.add_option("--target", o->target,
                       "Apply to this database instead (a rehearsal; libpq conninfo)");
        app.add_flag("--yes", o->yes, "Do not ask before writing to the configured target");
        return [o] { return run_replay(*o); };
      }};
}

}  // namespace dualwrite::cli
