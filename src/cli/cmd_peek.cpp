// `dualwrite peek [--limit N] [--json] [--all]`: the changes the slot holds and what the bridge
// would write for each, without applying or consuming anything (admin/peek.hpp). The daemon
// must be stopped: it holds the slot while it streams.
//
// Text: a header (slot, positions, the note that accounts are resolved at apply time), one line
// per transaction (xid, commit and end LSN, commit time), one line per change (legacy table,
// operation, key -> the writes: op kind, target table, key; or the dead letter it would be).
// --json: one object per change, with its transaction's fields.
// Exit status: 0, or the failure domain (config 2, source 4, target never: when the target
// cannot be reached the applied position is unknown and every transaction is shown).
#include <cstdio>
#include <memory>
#include <string>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/peek.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/decode/json.hpp"
#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  std::uint64_t limit = 100;
  bool json = false;
  bool all = false;
};

std::string key_text(const std::vector<std::pair<std::string, std::string>>& key) {
  std::string out;
  for (const auto& [column, value] : key) {
    if (!out.empty()) out += ',';
    out += column + '=' + value;
  }
  return out;
}

void print_text(const admin::PeekedTransaction& t) {
  std::printf("transaction %u commit %s end %s at %s%s\n", t.xid, t.commit_lsn.to_string().c_str(),
              t.end_lsn.is_valid() ? t.end_lsn.to_string().c_str() : "(not read)",
              t.commit_time.to_iso8601().c_str(), t.applied ? " (applied)" : "");
  for (const auto& c : t.changes) {
    std::string line = "  " + c.source_table + ' ' + std::string(translate::name_of(c.op));
    if (!c.key.empty()) line += ' ' + key_text(c.key);
    line += " -> ";
    if (c.dead_letter) {
      line += "dead letter: " + std::string(translate::name_of(c.dead_letter->reason)) + ": " +
              c.dead_letter->detail;
    } else if (c.writes.empty()) {
      line += "nothing";
    } else {
      for (std::size_t i = 0; i < c.writes.size(); ++i) {
        const auto& info = translate::info(c.writes[i].kind);
        if (i > 0) line += "; ";
        line +=
            std::string(info.name) + ' ' + std::string(info.target_table) + ' ' + c.writes[i].key;
      }
    }
    std::printf("%s\n", line.c_str());
  }
  if (t.cut) std::printf("  ... (more changes in this transaction)\n");
}

void print_json(const admin::PeekedTransaction& t) {
  std::string head =
      "{\"xid\":" + std::to_string(t.xid) + ",\"commit_lsn\":\"" + t.commit_lsn.to_string() +
      "\",\"end_lsn\":" + (t.end_lsn.is_valid() ? '"' + t.end_lsn.to_string() + '"' : "null") +
      ",\"commit_time\":\"" + t.commit_time.to_iso8601() +
      "\",\"applied\":" + (t.applied ? "true" : "false");
  std::string line;
  for (const auto& c : t.changes) {
    line = head;
    line += ",\"table\":";
    decode::append_json_string(c.source_table, line);
    line += ",\"operation\":\"" + std::string(translate::name_of(c.op)) + "\",\"key\":{";
    for (std::size_t i = 0; i < c.key.size(); ++i) {
      if (i > 0) line += ',';
      decode::append_json_string(c.key[i].first, line);
      line += ':';
      decode::append_json_string(c.key[i].second, line);
    }
    line += "},\"writes\":[";
    for (std::size_t i = 0; i < c.writes.size(); ++i) {
      const auto& info = translate::info(c.writes[i].kind);
      if (i > 0) line += ',';
      line += "{\"op\":\"" + std::string(info.name) + "\",\"table\":\"" +
              std::string(info.target_table) + "\",\"key\":";
      decode::append_json_string(c.writes[i].key, line);
      line += '}';
    }
    line += "],\"dead_letter\":";
    if (c.dead_letter) {
      line += "{\"reason\":\"" + std::string(translate::name_of(c.dead_letter->reason)) +
              "\",\"detail\":";
      decode::append_json_string(c.dead_letter->detail, line);
      line += '}';
    } else {
      line += "null";
    }
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
}

// The applied position of the bridge, for telling applied transactions from pending ones;
// invalid (every transaction shown as pending, with a warning) when the target cannot say.
Lsn applied_position(const config::Config& cfg, apply::Connection& source) {
  auto applied = pg::attempt(ErrorDomain::target, [&] {
    auto target = admin::connect_target(cfg);
    return admin::read_positions(source, target, cfg).applied();
  });
  if (applied) return *applied;
  std::fprintf(stderr,
               "dualwrite: target: %s; the applied position is unknown, every transaction the "
               "slot holds is shown as pending\n",
               applied.error().message.c_str());
  return Lsn{};
}

// Prints what the slot holds; returns the exit status. Database errors are the caller's.
int show_pending(const Options& o, const config::Config& cfg, apply::Connection& source) {
  auto slot = admin::check_idle_slot(source, cfg.source.slot, "peek");
  if (!slot) {
    std::fprintf(stderr, "dualwrite: %s\n", slot.error().message.c_str());
    return exit_code(slot.error().domain);
  }
  admin::PeekOptions options;
  options.limit = o.limit;
  options.include_applied = o.all;
  options.applied = applied_position(cfg, source);
  if (!o.json) {
    std::printf("slot %s (publication %s) holds changes from %s; applied up to %s\n",
                cfg.source.slot.c_str(), cfg.source.publication.c_str(),
                slot->confirmed_flush.to_string().c_str(),
                options.applied.is_valid() ? options.applied.to_string().c_str() : "(unknown)");
    std::printf(
        "what each change would write, as translated now; accounts are resolved at apply "
        "time (against the target's links), so a write may still become an unlinked_user or "
        "missing_parent dead letter then\n");
  }
  admin::SlotReaderOptions reader;
  reader.slot = cfg.source.slot;
  reader.publication = cfg.source.publication;
  auto summary = admin::peek(source, reader, options, [&](const admin::PeekedTransaction& t) {
    if (o.json) {
      print_json(t);
    } else {
      print_text(t);
    }
  });
  if (!summary) {
    std::fflush(stdout);
    std::fprintf(stderr, "dualwrite: %s\n", summary.error().message.c_str());
    return exit_code(summary.error().domain);
  }
  if (!o.json) {
    std::printf("%llu changes in %llu transactions shown; %s\n",
                static_cast<unsigned long long>(summary->changes),
                static_cast<unsigned long long>(summary->transactions),
                summary->more ? "the slot holds more (raise --limit to see them)"
                              : "the slot holds no more");
    if (summary->applied_skipped > 0) {
      std::printf(
          "%llu transactions already applied (kept by [progress] replay_window) not shown; "
          "--all shows them\n",
          static_cast<unsigned long long>(summary->applied_skipped));
    }
  }
  return std::fflush(stdout) == 0 ? 0 : exit_code(ErrorDomain::internal);
}

int run_peek(const Options& o) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  try {
    auto shown = pg::attempt(ErrorDomain::source, [&] {
      auto source = admin::connect_source(cfg);
      return show_pending(o, cfg, source);
    });
    if (!shown) {
      std::fprintf(stderr, "dualwrite: %s: %s\n", to_string(shown.error().domain),
                   shown.error().message.c_str());
      return exit_code(shown.error().domain);
    }
    return *shown;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "dualwrite: config: %s\n", e.what());
    return exit_code(ErrorDomain::usage);
  }
}

}  // namespace

Command make_peek_command() {
  return Command{
      "peek",
      "Show the changes the slot holds and what they would write, without applying or "
      "consuming them (a dry run; the daemon must be stopped)",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        add_config_option(app, {o, &o->config});
        app.add_option("--limit", o->limit, "Show at most this many changes (default 100)")
            ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
        app.add_flag("--json", o->json, "One JSON object per change");
        app.add_flag("--all", o->all,
                     "Also the transactions already applied that the replay window keeps");
        return [o] { return run_peek(*o); };
      }};
}

}  // namespace dualwrite::cli
