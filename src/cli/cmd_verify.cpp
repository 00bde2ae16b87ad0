// `dualwrite verify [--tables a,b] [--max-mismatches N] [--wait DURATION] [--json]`: compares
// the new tables with what mapping.md computes from the legacy ones (verify/verify.hpp) and
// prints one line per table, the mismatches found (at most N per table listed, all counted) and
// a closing line. Exit 0 when clean, 8 on drift, 2 on bad arguments or config, 4 / 5 when the
// source / target fails. On drift, each open gap recorded in dualwrite.stream_gaps (what `run`
// was told to leave behind) is named in a note (JSON: in "warnings"), since it may explain it.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/verify/verify.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  std::vector<std::string> tables;
  long long max_mismatches = 20;
  std::string wait = "5min";
  bool json = false;
};

// libpq's messages span lines ("…failed: No such file\n\tIs the server running…"): one line.
std::string one_line(const std::string& message) {
  std::string out;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '\n') {
      out += message[i];
      continue;
    }
    while (i + 1 < message.size() && (message[i + 1] == '\t' || message[i + 1] == ' ')) ++i;
    if (i + 1 < message.size()) out += "; ";
  }
  return out;
}

void print_table(const verify::TableResult& t) {
  std::printf("%-22s %12lld %12lld %11lld %12.0f\n", t.table.c_str(),
              static_cast<long long>(t.expected), static_cast<long long>(t.actual),
              static_cast<long long>(t.mismatches), t.rows_per_second());
  std::fflush(stdout);
}

std::string json_document(const verify::RunResult& r) {
  std::string out = "{\"tables\":[";
  for (std::size_t i = 0; i < r.tables.size(); ++i) {
    if (i > 0) out += ',';
    out += verify::table_json(r.tables[i], true);
  }
  const double compare = r.compare_seconds();
  char numbers[160];
  std::snprintf(numbers, sizeof numbers,
                "],\"rows\":%lld,\"seconds\":%.3f,\"compare_seconds\":%.3f,"
                "\"rows_per_second\":%.1f,\"mismatches\":%lld,\"clean\":%s",
                static_cast<long long>(r.rows()), r.seconds, compare,
                compare > 0 ? static_cast<double>(r.rows()) / compare : 0.0,
                static_cast<long long>(r.mismatches), r.clean() ? "true" : "false");
  out += numbers;
  out += ",\"source_lsn\":" + verify::json_string(r.source_lsn.to_string());
  out += ",\"applied_lsn\":" + (r.applied_lsn && r.applied_lsn->is_valid()
                                    ? verify::json_string(r.applied_lsn->to_string())
                                    : std::string("null"));
  out += ",\"run_id\":" + (r.run_id ? std::to_string(*r.run_id) : std::string("null"));
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    if (i > 0) out += ',';
    out += verify::json_string(r.warnings[i]);
  }
  return out + "]}";
}

// One note per open gap of the configured slot, said so that drift can be traced to it; a
// warning instead when the gaps cannot be read (verify's result stands either way).
std::vector<std::string> gap_notes(const config::Config& config) {
  std::vector<std::string> notes;
  try {
    auto target = admin::connect_target(config);
    for (const auto& g : admin::read_stream_gaps(target, config.source.slot)) {
      if (g.repaired) continue;
      notes.push_back("gap #" + std::to_string(g.id) + " (" + admin::describe_gap_range(g) +
                      ", accepted " + g.recorded_at + " by `dualwrite run " + g.acknowledged_by +
                      "`): " +
                      (g.from_lsn ? "legacy changes committed in that range were never applied"
                                  : "the legacy rows that existed then were never copied") +
                      ", so the drift may come from it; `dualwrite bootstrap` again repairs it "
                      "(docs/cutover.md, \"Slot dropped\")");
    }
  } catch (const std::exception& e) {
    notes.push_back("cannot read dualwrite.stream_gaps (" + pg::one_line(e.what()) +
                    "): a recorded gap may explain the drift");
  }
  return notes;
}

int verify_command(const Options& o) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto wait =
      duration_option("--wait", o.wait, "must be a duration such as 0, 30s, 5min or 1h");
  if (!wait) return exit_code(ErrorDomain::usage);
  if (o.max_mismatches < 0) {
    std::fprintf(stderr, "dualwrite: --max-mismatches must be 0 or more; got %lld\n",
                 o.max_mismatches);
    return exit_code(ErrorDomain::usage);
  }

  verify::Options options;
  options.tables = o.tables;
  options.max_listed = static_cast<std::size_t>(o.max_mismatches);
  options.wait = *wait;
  if (!o.json) {
    // The header comes with the first table, so that a failure to connect prints one line only.
    options.on_table_done = [header = false](const verify::TableResult& t) mutable {
      if (!header) {
        std::printf("%-22s %12s %12s %11s %12s\n", "table", "expected", "actual", "mismatches",
                    "rows/s");
        header = true;
      }
      print_table(t);
    };
  }
  options.on_wait = [&](const std::string& table, Lsn position) {
    std::fprintf(stderr,
                 "dualwrite: %s differs; waiting up to %s for the bridge to apply past %s, "
                 "then rechecking\n",
                 table.c_str(), o.wait.c_str(), position.to_string().c_str());
  };

  auto result = verify::run(loaded->config, options);
  if (!result) {
    std::fprintf(stderr, "dualwrite: %s\n", one_line(result.error().message).c_str());
    return exit_code(result.error().domain);
  }
  auto& r = *result;
  for (const auto& w : r.warnings) std::fprintf(stderr, "dualwrite: warning: %s\n", w.c_str());
  const auto notes = r.clean() ? std::vector<std::string>() : gap_notes(loaded->config);
  if (o.json) {
    r.warnings.insert(r.warnings.end(), notes.begin(), notes.end());
    std::printf("%s\n", json_document(r).c_str());
  } else {
    for (const auto& t : r.tables) {
      for (const auto& m : t.listed) {
        std::printf("%s %s %s\n", t.table.c_str(), m.key.c_str(), verify::to_string(m.problem));
      }
      if (t.mismatches > static_cast<std::int64_t>(t.listed.size())) {
        std::printf("%s: %lld more not listed (--max-mismatches %lld)\n", t.table.c_str(),
                    static_cast<long long>(t.mismatches) - static_cast<long long>(t.listed.size()),
                    o.max_mismatches);
      }
    }
    for (const auto& t : r.tables) {
      if (t.note) std::printf("note: %s: %s\n", t.table.c_str(), t.note->c_str());
    }
    for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
    const double compare = r.compare_seconds();
    std::printf(
        "total: %zu tables, %lld rows compared in %.2f s (%.0f rows/s; %.2f s in all), "
        "%lld mismatches: %s\n",
        r.tables.size(), static_cast<long long>(r.rows()), compare,
        compare > 0 ? static_cast<double>(r.rows()) / compare : 0.0, r.seconds,
        static_cast<long long>(r.mismatches), r.clean() ? "clean" : "drift");
  }
  return r.clean() ? 0 : exit_code(ErrorDomain::verify_drift);
}

}  // namespace

Command make_verify_command() {
  return Command{
      "verify",
      "Compare the new tables with the legacy ones by the rules of mapping.md; exit 8 on drift",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        add_config_option(app, {o, &o->config});
        app.add_option("--tables", o->tables, "Target tables to compare (default: all twelve)")
            ->delimiter(',');
        app.add_option("--max-mismatches", o->max_mismatches,
                       "Mismatching keys listed per table (all are counted; default 20)");
        app.add_option("--wait", o->wait,
                       "How long to wait for the bridge to apply past what was compared before "
                       "rechecking mismatches (default 5min; 0: one look, no recheck)");
        app.add_flag("--json", o->json, "Print one JSON document");
        return [o] { return verify_command(*o); };
      }};
}

}  // namespace dualwrite::cli
