// `dualwrite dead-letters list | show ID | retry [ID | --reason R] | resolve ID`: inspect and
// retry the changes the bridge could not translate (mapping.md rule 6). Retried letters are
// marked resolved, never deleted. Works while the daemon runs: it uses its own connection and
// no replication origin. A truncate letter is not retried (there is nothing to apply): retry
// says what to do and that `resolve` closes it (exit 2).
#include <cstdio>
#include <memory>
#include <string>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/cli.hpp"
#include "dualwrite/translate/json_change.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  std::string reason;
  std::string table;
  bool all = false;
  int limit = 50;
  long long id = 0;
  bool json = false;
};

// A dead letter id as `list` prints it. CLI11's PositiveNumber would answer "abc" with the range
// of a double.
const CLI::Validator kLetterId(
    [](std::string& text) -> std::string {
      const bool digits = !text.empty() && text.size() <= 18 &&
                          text.find_first_not_of("0123456789") == std::string::npos;
      if (digits && text.find_first_not_of('0') != std::string::npos) return {};
      return "a dead letter id is a positive whole number, as `dualwrite dead-letters list` "
             "shows; got '" +
             text + "'";
    },
    "ID");

int with_target(const Options& o,
                const std::function<int(const config::Config&, apply::Connection&)>& body) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  if (!o.reason.empty() && !translate::parse_dead_letter_reason(o.reason)) {
    std::fprintf(stderr, "dualwrite: --reason must be one of %s; got '%s'\n",
                 translate::dead_letter_reason_names().c_str(), o.reason.c_str());
    return exit_code(ErrorDomain::usage);
  }
  try {
    auto done = pg::attempt(ErrorDomain::target, [&] {
      auto conn = admin::connect_target(loaded->config);
      return body(loaded->config, conn);
    });
    if (!done) {
      std::fprintf(stderr, "dualwrite: %s: %s\n", to_string(done.error().domain),
                   done.error().message.c_str());
      return exit_code(done.error().domain);
    }
    return *done;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "dualwrite: %s\n", e.what());
    return exit_code(ErrorDomain::usage);
  }
}

int list(const Options& o) {
  return with_target(o, [&](const config::Config&, apply::Connection& conn) {
    const std::string limit = std::to_string(o.limit);
    auto r = conn.query(sql::cli::dead_letters_list, {o.reason.c_str(), o.table.c_str(),
                                                      o.all ? "true" : "false", limit.c_str()});
    if (o.json) {
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        std::printf(
            "{\"id\":%s,\"created_at\":\"%s\",\"source_table\":\"%s\",\"operation\":\"%s\","
            "\"reason\":\"%s\",\"attempts\":%s,\"resolved\":%s,\"lsn\":\"%s\"}\n",
            PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2),
            PQgetvalue(r.get(), i, 3), PQgetvalue(r.get(), i, 4), PQgetvalue(r.get(), i, 5),
            *PQgetvalue(r.get(), i, 6) ? "true" : "false", PQgetvalue(r.get(), i, 8));
      }
      return 0;
    }
    std::printf("%-8s %-19s %-22s %-9s %-19s %-3s %-8s %s\n", "id", "created", "table", "op",
                "reason", "try", "", "detail");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::printf("%-8s %-19s %-22s %-9s %-19s %-3s %-8s %s\n", PQgetvalue(r.get(), i, 0),
                  PQgetvalue(r.get(), i, 1), PQgetvalue(r.get(), i, 2), PQgetvalue(r.get(), i, 3),
                  PQgetvalue(r.get(), i, 4), PQgetvalue(r.get(), i, 5), PQgetvalue(r.get(), i, 6),
                  PQgetvalue(r.get(), i, 7));
    }
    const std::string total =
        conn.scalar("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL");
    std::printf("(%d shown; %s unresolved in all)\n", PQntuples(r.get()), total.c_str());
    return 0;
  });
}

int show(const Options& o) {
  return with_target(o, [&](const config::Config&, apply::Connection& conn) {
    const std::string id = std::to_string(o.id);
    auto r = conn.query(
        "SELECT jsonb_pretty(to_jsonb(d)) FROM dualwrite.dead_letters d WHERE id = $1::bigint",
        {id.c_str()});
    if (PQntuples(r.get()) == 0) {
      std::fprintf(stderr,
                   "dualwrite: no dead letter %s (see: dualwrite dead-letters list --all)\n",
                   id.c_str());
      return exit_code(ErrorDomain::usage);
    }
    std::printf("%s\n", PQgetvalue(r.get(), 0, 0));
    return 0;
  });
}

// The runbook's section on truncate letters, which both refusals below point at.
constexpr const char* kTruncateWhatToDo =
    "run `dualwrite verify` (the rows the TRUNCATE removed from the legacy table show as extra in "
    "the new tables it fed), bring the new tables to what you decide (empty those rows by hand, "
    "or restore the legacy rows and let the bridge carry them again)";
constexpr const char* kTruncateRunbook = "(docs/cutover.md, Failure modes: a truncate dead letter)";

// A truncate letter records a TRUNCATE of a legacy table, which the bridge never mirrors
// (mapping.md rule 7): there is nothing to apply, so a retry would fail forever. Says what to do
// instead and returns the exit code, or -1 when the retry asked for involves no such letter.
int refuse_truncate_retry(const Options& o, apply::Connection& conn) {
  if (o.id != 0) {
    const std::string id = std::to_string(o.id);
    bool found = false;
    const std::string table = conn.scalar(sql::cli::truncate_letter_table, {id.c_str()}, &found);
    if (!found) return -1;
    std::fprintf(stderr,
                 "dualwrite: dead letter %s records a TRUNCATE of public.%s, which the bridge "
                 "never mirrors: retrying cannot apply it. %s; then `dualwrite dead-letters "
                 "resolve %s` %s\n",
                 id.c_str(), table.c_str(), kTruncateWhatToDo, id.c_str(), kTruncateRunbook);
    return exit_code(ErrorDomain::usage);
  }
  if (o.reason != "truncate") return -1;
  const std::string ids = conn.scalar(sql::cli::truncate_letter_ids);
  if (ids.empty()) return -1;
  std::fprintf(stderr,
               "dualwrite: truncate letters are never retried (a TRUNCATE of a legacy table is "
               "never mirrored): %s; then `dualwrite dead-letters resolve ID` %s; resolve each: "
               "%s\n",
               kTruncateWhatToDo, kTruncateRunbook, ids.c_str());
  return exit_code(ErrorDomain::usage);
}

// The selected schema_mismatch letters that cannot be retried as they stand (their row has the
// names the stream carried after DDL on the source): each counted as an attempt, with what the
// operator does about it. The ids are left out of the retry.
std::vector<std::pair<std::int64_t, std::string>> blocked_schema_mismatch_letters(
    const Options& o, apply::Connection& conn) {
  const std::string id = std::to_string(o.id);
  auto r =
      conn.query(std::string(sql::cli::schema_mismatch_letters), {id.c_str(), o.reason.c_str()});
  std::vector<std::pair<std::int64_t, std::string>> blocked;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    auto text_or_null = [&](int column) {
      return PQgetisnull(r.get(), i, column) ? nullptr : PQgetvalue(r.get(), i, column);
    };
    const std::int64_t letter = std::stoll(PQgetvalue(r.get(), i, 0));
    if (auto why = translate::schema_mismatch_retry_blocker(letter, PQgetvalue(r.get(), i, 1),
                                                            PQgetvalue(r.get(), i, 2),
                                                            text_or_null(3), text_or_null(4))) {
      const std::string n = std::to_string(letter);
      conn.query("UPDATE dualwrite.dead_letters SET attempts = attempts + 1 WHERE id = $1::bigint",
                 {n.c_str()});
      blocked.emplace_back(letter, std::move(*why));
    }
  }
  return blocked;
}

int retry(const Options& o) {
  if (o.id == 0 && o.reason.empty()) {
    std::fprintf(stderr,
                 "dualwrite: retry needs an ID or --reason R (e.g. --reason unlinked_user)\n");
    return exit_code(ErrorDomain::usage);
  }
  return with_target(o, [&](const config::Config& c, apply::Connection& conn) {
    if (const int code = refuse_truncate_retry(o, conn); code >= 0) return code;
    const auto blocked = blocked_schema_mismatch_letters(o, conn);
    std::string skip = "{";
    for (const auto& [letter, why] : blocked) {
      if (skip.size() > 1) skip += ',';
      skip += std::to_string(letter);
    }
    skip += '}';
    apply::ApplyStats stats;
    apply::Applier applier(admin::target_apply_options(c), stats);
    applier.connect();
    const std::string id = std::to_string(o.id);
    auto report = applier.retry_dead_letters({o.id, o.reason, skip});
    for (const auto& [letter, why] : blocked) {
      report.failed.push_back(letter);
      report.errors.emplace_back(letter, why);
    }
    for (auto r : report.resolved) std::printf("%lld resolved\n", static_cast<long long>(r));
    for (auto f : report.failed) std::printf("%lld still failing\n", static_cast<long long>(f));
    for (const auto& [letter, error] : report.errors) {
      std::printf("%lld: %s\n", static_cast<long long>(letter), error.c_str());
    }
    std::printf("%zu resolved, %zu still failing\n", report.resolved.size(), report.failed.size());
    if (o.id != 0 && report.resolved.empty() && report.failed.empty()) {
      std::fprintf(stderr, "dualwrite: dead letter %s is not an unresolved one\n", id.c_str());
      return exit_code(ErrorDomain::usage);
    }
    return report.failed.empty() ? 0 : 1;
  });
}

int resolve(const Options& o) {
  return with_target(o, [&](const config::Config&, apply::Connection& conn) {
    const std::string id = std::to_string(o.id);
    auto r = conn.query(sql::cli::resolve_letter, {id.c_str()});
    if (PQntuples(r.get()) == 0) {
      std::fprintf(stderr, "dualwrite: dead letter %s does not exist or is already resolved\n",
                   id.c_str());
      return exit_code(ErrorDomain::usage);
    }
    std::printf("%s resolved (not applied)\n", id.c_str());
    return 0;
  });
}

}  // namespace

Command make_dead_letters_command() {
  return Command{
      "dead-letters", "Inspect, retry and resolve changes that could not be translated",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        auto action = std::make_shared<std::function<int()>>();
        app.require_subcommand(1);
        auto* l = app.add_subcommand("list", "List unresolved dead letters, oldest first");
        add_config_option(*l, {o, &o->config});
        l->add_option("--reason", o->reason, "Only this reason");
        l->add_option("--table", o->table, "Only this legacy table");
        l->add_flag("--all", o->all, "Include resolved letters");
        l->add_option("--limit", o->limit, "At most this many")->check(CLI::Range(1, 1'000'000));
        l->add_flag("--json", o->json, "One JSON object per line");
        l->callback([o, action] { *action = [o] { return list(*o); }; });
        auto* s = app.add_subcommand("show", "Show one dead letter whole");
        add_config_option(*s, {o, &o->config});
        s->add_option("id", o->id, "Dead letter id")->required()->check(kLetterId);
        s->callback([o, action] { *action = [o] { return show(*o); }; });
        auto* r = app.add_subcommand("retry", "Apply dead letters again (after a fix)");
        add_config_option(*r, {o, &o->config});
        r->add_option("id", o->id, "Dead letter id")->check(kLetterId);
        r->add_option("--reason", o->reason, "Every unresolved letter of this reason");
        r->callback([o, action] { *action = [o] { return retry(*o); }; });
        auto* v = app.add_subcommand("resolve", "Mark one resolved without applying it");
        add_config_option(*v, {o, &o->config});
        v->add_option("id", o->id, "Dead letter id")->required()->check(kLetterId);
        v->callback([o, action] { *action = [o] { return resolve(*o); }; });
        return [action] { return (*action)(); };
      }};
}

}  // namespace dualwrite::cli
