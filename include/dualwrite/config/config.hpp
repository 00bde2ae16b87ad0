// Configuration: the one TOML file (`config/dualwrite.toml`), environment overrides
// (`DUALWRITE_<SECTION>_<KEY>`), defaults, and validation.
//
// For: turning file + environment into a validated `Config`, reporting every problem as one line
// that says what is wrong and how to fix it, and listing which defaults were applied. Every key is
// declared once, in the table of config.cpp (type, default, help, reloadable); parsing, the
// environment names, `dualwrite config --defaults` and the reload policy all derive from it.
// Not for: reading secrets (see `read_password_file`, called by whoever connects) or connecting.
// Thread-safety: `Config` is a value; load functions are reentrant.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dualwrite::config {

using Milliseconds = std::chrono::milliseconds;

struct SourceConfig {
  std::string conninfo;
  std::string password_file;  // e.g. $CREDENTIALS_DIRECTORY/source-password (systemd)
  std::string slot;
  std::string publication;
  std::string origin;  // replication origin on the target that records applied progress
  int proto_version = 2;
  std::vector<std::string> tables;  // the legacy tables the publication covers
};

struct TargetConfig {
  std::string conninfo;  // empty: the source database
  std::string password_file;
  // The apply session's own settings, set on every connection whatever the role or database
  // says (ALTER ROLE ... SET statement_timeout must not decide how the bridge behaves).
  Milliseconds statement_timeout{120'000};
  Milliseconds lock_timeout{30'000};
  Milliseconds idle_in_transaction_session_timeout{300'000};
};

struct ApplyConfig {
  std::uint64_t batch_max_changes = 0;
  std::uint64_t batch_max_bytes = 0;
  Milliseconds batch_max_delay{0};
  std::uint64_t queue_max_bytes = 0;
  std::uint64_t copy_min_rows = 0;
  // "replica": apply sessions run with session_replication_role = replica where allowed and
  // safe (apply/session_role.hpp); "origin": never.
  std::string session_replication_role = "replica";
  // "spool": a streamed (protocol 2) transaction is applied at its commit; "live": while it
  // streams, on a second target connection (apply/live.hpp).
  std::string streamed_transactions = "spool";
  // While a transaction is applied live, the main apply connection waits this long for a lock
  // before it counts as a conflict with it (the live transaction then falls back to the spool).
  Milliseconds live_lock_timeout{1000};
};

struct ProgressConfig {
  Milliseconds replay_window{0};
  Milliseconds status_interval{0};
};

struct ReconnectConfig {
  Milliseconds initial_backoff{0};
  Milliseconds max_backoff{0};
};

struct MetricsConfig {
  std::string listen;
  Milliseconds ready_max_lag{0};
  Milliseconds ready_max_stall{0};
};

struct LogConfig {
  std::string level;
  std::string format;  // text | json | journal | auto
};

struct Config {
  SourceConfig source;
  TargetConfig target;
  ApplyConfig apply;
  ProgressConfig progress;
  ReconnectConfig reconnect;
  MetricsConfig metrics;
  LogConfig log;

  // The target conninfo to use: [target] conninfo, or the source's when empty.
  const std::string& effective_target_conninfo() const {
    return target.conninfo.empty() ? source.conninfo : target.conninfo;
  }
};

// Where a key's value came from, for `dualwrite config` and the start-up log.
enum class ValueSource { default_value, file, environment };

struct AppliedValue {
  std::string section;
  std::string key;
  std::string value;  // as text; secrets never appear here
  ValueSource source = ValueSource::default_value;
};

struct LoadResult {
  Config config;
  std::vector<AppliedValue> values;
  // One line each: things that do not stop loading but are probably mistakes (see
  // load_from_string's environment names).
  std::vector<std::string> warnings;
};

// All problems found while loading, one line each ("[apply] batch_max_changes: must be at least
// 1, got 0"). Thrown as one exception so the user sees every problem at once.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems, std::vector<std::string> warnings = {},
                       std::string log_format = {});
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // [log] format as far as it could be read despite the problems (from the file, the
  // environment or the default, and itself valid), so that the daemon can report them the way
  // its logs go; empty when it could not be (a syntax error in the file and nothing in the
  // environment, or the format itself wrong).
  const std::string& log_format() const { return log_format_; }

 private:
  std::vector<std::string> problems_;
  std::vector<std::string> warnings_;
  std::string log_format_;
};

// Looks up an environment variable; nullptr when unset. Injected so tests need no setenv.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup process_environment();
// The names of the variables in the environment (for the warning about misspelt DUALWRITE_
// ones). Injected like EnvLookup.
using EnvNames = std::vector<std::string>;
EnvNames process_environment_names();

// Loads `toml_text` (the file's content; `origin` names it in messages), applies environment
// overrides and defaults, validates. Throws ConfigError.
// `env_names`: a variable among them that looks like a key and is none (DUALWRITE_ followed by a
// section's name, or within two typos of a key's variable, or naming a key without its section)
// gets a warning naming the nearest key(s) and the keys of that section. A warning, not an
// error: the file is ours, so an unknown key there is an error, but the environment is shared
// with everything else in the unit or the shell (our own test scripts set DUALWRITE_TEST_*), and
// refusing to start over a variable meant for something else would stop a daemon for nothing.
LoadResult load_from_string(std::string_view toml_text, std::string_view origin,
                            const EnvLookup& env, const EnvNames& env_names = {});

// Loads the file at `path`. When `path` is the default path and the file does not exist, the
// defaults and environment alone are used (so `DUALWRITE_SOURCE_CONNINFO=… dualwrite run`
// works); any other missing file is an error.
LoadResult load_file(const std::string& path, const EnvLookup& env, bool path_was_given,
                     const EnvNames& env_names = {});

inline constexpr std::string_view default_config_path = "/etc/dualwrite/dualwrite.toml";

// A commented TOML document with every key at its default: the source of truth that
// config/dualwrite.toml is checked against.
std::string render_defaults();

// The keys whose new values a SIGHUP can apply without a restart.
bool is_reloadable(std::string_view section, std::string_view key);

// Compares two configs key by key: which differences are applied on reload, and which need a
// restart (returned as "[section] key" strings).
struct ReloadPlan {
  std::vector<std::string> applied;
  std::vector<std::string> needs_restart;
};
ReloadPlan plan_reload(const LoadResult& before, const LoadResult& after);

// Reads a password file (first line, trailing newline stripped). Throws ConfigError naming the
// file when it cannot be read or is empty.
std::string read_password_file(const std::string& path);

// Parsers shared with the command line (e.g. `--timeout 30s`). nullopt when malformed.
std::optional<Milliseconds> parse_duration(std::string_view text);  // "250ms" "10s" "5min" "2h"
std::optional<std::uint64_t> parse_size(std::string_view text);     // "4096" "64KiB" "16MiB" "1GiB"

}  // namespace dualwrite::config
