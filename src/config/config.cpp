#include "dualwrite/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <type_traits>

#include "dualwrite/core/text.hpp"

extern char** environ;  // POSIX: the process environment

namespace dualwrite::config {

namespace {

enum class Kind { text, integer, size, duration, list, choice };

// One declaration per key. `assign` parses the key's text form into the Config and returns an
// error message (without the key's name) when the text is not acceptable; `render` gives the
// current value as text.
struct KeyDef {
  const char* section;
  const char* key;
  Kind kind;
  const char* default_text;
  const char* help;
  bool reloadable;
  std::vector<std::string_view> choices;
  std::function<std::optional<std::string>(Config&, const std::string&)> assign;
  std::function<std::string(const Config&)> render;
  bool secret_in_file_forbidden = false;  // conninfo: a password here is refused
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A number and its unit: " 64 KiB" as {64, "KiB"}; nullopt when the text (blanks aside) does not
// start with digits. What parse_duration and parse_size read before their units.
struct Quantity {
  std::uint64_t number = 0;
  std::string unit;
};
std::optional<Quantity> quantity(std::string_view text) {
  const std::string s = trim(text);
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  const auto n = parse_unsigned(std::string_view(s).substr(0, i));
  if (!n) return std::nullopt;
  return Quantity{*n, trim(std::string_view(s).substr(i))};
}

// Accessor helpers that build the assign/render pair for a member of a given kind.
template <typename Member>
KeyDef text_key(const char* section, const char* key, const char* def, const char* help,
                Member member, bool reloadable = false) {
  return KeyDef{section,
                key,
                Kind::text,
                def,
                help,
                reloadable,
                {},
                [member](Config& c, const std::string& v) -> std::optional<std::string> {
                  member(c) = v;
                  return std::nullopt;
                },
                [member](const Config& c) { return member(const_cast<Config&>(c)); }};
}

// A key whose text `parse` reads (text it cannot read: "must be <expected>, got '<text>'"), whose
// value `bounds` then holds to (a message for one outside them, or nullopt), and which `show`
// renders: what counts, sizes and durations share.
template <typename Member, typename Parse, typename Bounds, typename Show>
KeyDef parsed_key(const char* section, const char* key, Kind kind, const char* def,
                  const char* help, bool reloadable, Member member, Parse parse,
                  const char* expected, Bounds bounds, Show show) {
  return KeyDef{section,
                key,
                kind,
                def,
                help,
                reloadable,
                {},
                [member, parse, expected, bounds](
                    Config& c, const std::string& v) -> std::optional<std::string> {
                  const auto n = parse(v);
                  if (!n) return std::string("must be ") + expected + ", got '" + v + "'";
                  if (auto problem = bounds(*n, v)) return problem;
                  auto& field = member(c);
                  field = static_cast<std::remove_reference_t<decltype(field)>>(*n);
                  return std::nullopt;
                },
                [member, show](const Config& c) { return show(member(const_cast<Config&>(c))); }};
}

template <typename Member>
KeyDef count_key(const char* section, const char* key, const char* def, const char* help,
                 Member member, std::uint64_t min, std::uint64_t max, bool reloadable) {
  return parsed_key(
      section, key, Kind::integer, def, help, reloadable, member, parse_unsigned, "a whole number",
      [min, max](std::uint64_t n, const std::string& v) -> std::optional<std::string> {
        if (n >= min && n <= max) return std::nullopt;
        return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               v;
      },
      [](auto n) { return std::to_string(n); });
}

template <typename Member>
KeyDef size_key(const char* section, const char* key, const char* def, const char* help,
                Member member, std::uint64_t min, bool reloadable) {
  return parsed_key(
      section, key, Kind::size, def, help, reloadable, member, parse_size,
      "a size such as 4096, 64KiB, 16MiB or 1GiB",
      [min](std::uint64_t n, const std::string& v) -> std::optional<std::string> {
        if (n >= min) return std::nullopt;
        return "must be at least " + std::to_string(min) + " bytes, got " + v;
      },
      [](std::uint64_t n) { return std::to_string(n); });
}

template <typename Member>
KeyDef duration_key(const char* section, const char* key, const char* def, const char* help,
                    Member member, Milliseconds min, bool reloadable) {
  return parsed_key(
      section, key, Kind::duration, def, help, reloadable, member, parse_duration,
      "a duration such as 250ms, 10s, 5min or 2h",
      [min](Milliseconds d, const std::string& v) -> std::optional<std::string> {
        if (d >= min) return std::nullopt;
        return "must be at least " + std::to_string(min.count()) + "ms, got " + v;
      },
      [](Milliseconds d) { return std::to_string(d.count()) + "ms"; });
}

template <typename Member>
KeyDef choice_key(const char* section, const char* key, const char* def, const char* help,
                  Member member, std::vector<std::string_view> choices, bool reloadable) {
  KeyDef k{section, key, Kind::choice, def, help, reloadable, choices, nullptr, nullptr};
  k.assign = [member, choices](Config& c, const std::string& v) -> std::optional<std::string> {
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
      std::vector<std::string> names(choices.begin(), choices.end());
      return "must be one of " + join(names, ", ") + ", got '" + v + "'";
    }
    member(c) = v;
    return std::nullopt;
  };
  k.render = [member](const Config& c) { return member(const_cast<Config&>(c)); };
  return k;
}

const std::regex& identifier_pattern() {
  // Slot names are limited by PostgreSQL to lower-case letters, digits and underscores; we hold
  // publication and origin names to the same rule so they never need quoting in runbooks.
  static const std::regex re("^[a-z_][a-z0-9_]{0,62}$");
  return re;
}

KeyDef identifier_key(const char* section, const char* key, const char* def, const char* help,
                      std::function<std::string&(Config&)> member) {
  KeyDef k = text_key(section, key, def, help, member);
  k.assign = [member](Config& c, const std::string& v) -> std::optional<std::string> {
    if (!std::regex_match(v, identifier_pattern())) {
      return "must be 1-63 lower-case letters, digits or underscores, starting with a letter "
             "or underscore, got '" +
             v + "'";
    }
    member(c) = v;
    return std::nullopt;
  };
  return k;
}

const std::vector<std::string_view>& legacy_tables() {
  static const std::vector<std::string_view> tables{
      "account_linkages",      "user_attributes",  "account_metadata",
      "activity_feedback",     "ai_suggestions",   "offline_likes",
      "chatbot_conversations", "chatbot_messages", "conversation_context"};
  return tables;
}

// [source] tables: a list of legacy tables, each known, none twice.
KeyDef tables_key() {
  KeyDef k{"source",
           "tables",
           Kind::list,
           "account_linkages, user_attributes, account_metadata, activity_feedback, "
           "ai_suggestions, offline_likes, chatbot_conversations, chatbot_messages, "
           "conversation_context",
           "Legacy tables (schema public) the publication covers; a subset pauses the others.",
           false,
           {},
           nullptr,
           nullptr};
  k.assign = [](Config& c, const std::string& v) -> std::optional<std::string> {
    std::vector<std::string> out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = trim(item);
      if (item.empty()) continue;
      const auto& known = legacy_tables();
      if (std::find(known.begin(), known.end(), item) == known.end()) {
        std::vector<std::string> names(known.begin(), known.end());
        return "'" + item + "' is not a legacy table (known: " + join(names, ", ") + ")";
      }
      if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    }
    if (out.empty()) return std::string("must name at least one legacy table");
    c.source.tables = std::move(out);
    return std::nullopt;
  };
  k.render = [](const Config& c) { return join(c.source.tables, ", "); };
  return k;
}

// [source]: where the changes come from.
void add_source_keys(std::vector<KeyDef>& t) {
  t.push_back(text_key("source", "conninfo",
                       "host=/var/run/postgresql dbname=postgres user=dualwrite",
                       "libpq connection string of the source database (the legacy tables). No "
                       "password here: use a passfile, PGPASSWORD or password_file.",
                       [](Config& c) -> std::string& { return c.source.conninfo; }));
  t.back().secret_in_file_forbidden = true;
  t.push_back(text_key("source", "password_file", "",
                       "File holding the source password (first line), e.g. a systemd credential: "
                       "\"/run/credentials/dualwrite.service/source-password\". Empty: none.",
                       [](Config& c) -> std::string& { return c.source.password_file; }));
  t.push_back(identifier_key("source", "slot", "dualwrite", "Logical replication slot (pgoutput).",
                             [](Config& c) -> std::string& { return c.source.slot; }));
  t.push_back(identifier_key("source", "publication", "dualwrite_legacy",
                             "Publication covering the legacy tables.",
                             [](Config& c) -> std::string& { return c.source.publication; }));
  t.push_back(identifier_key("source", "origin", "dualwrite",
                             "Replication origin on the target recording what has been applied.",
                             [](Config& c) -> std::string& { return c.source.origin; }));
  t.push_back(count_key(
      "source", "proto_version", "2",
      "pgoutput protocol version: 2 streams large transactions while they run.",
      [](Config& c) -> int& { return c.source.proto_version; }, 1, 2, false));
  t.push_back(tables_key());
}

// [target]: where they go, and the apply session's timeouts there.
void add_target_keys(std::vector<KeyDef>& t) {
  t.push_back(text_key("target", "conninfo", "",
                       "libpq connection string of the target (the new tables). Empty: the source "
                       "database.",
                       [](Config& c) -> std::string& { return c.target.conninfo; }));
  t.back().secret_in_file_forbidden = true;
  t.push_back(text_key("target", "password_file", "", "File holding the target password.",
                       [](Config& c) -> std::string& { return c.target.password_file; }));
  // The apply session's timeouts (sql/apply/session_timeouts.sql), set on every target
  // connection so that the role's or database's settings do not decide them.
  t.push_back(duration_key(
      "target", "statement_timeout", "2min",
      "Longest a statement of the apply may run on the target (a change that cannot be "
      "applied within it becomes a dead letter). Also bounds how long the daemon waits for "
      "an answer before it drops the connection.",
      [](Config& c) -> Milliseconds& { return c.target.statement_timeout; }, Milliseconds{1000},
      false));
  t.push_back(duration_key(
      "target", "lock_timeout", "30s",
      "Longest a statement of the apply waits for a lock on the target (then the attempt "
      "fails, is counted and retried). 0s: only statement_timeout.",
      [](Config& c) -> Milliseconds& { return c.target.lock_timeout; }, Milliseconds{0}, false));
  t.push_back(duration_key(
      "target", "idle_in_transaction_session_timeout", "5min",
      "The server ends the apply session if its transaction idles this long (a stuck bridge "
      "does not hold locks on the new tables forever). 0s: never.",
      [](Config& c) -> Milliseconds& { return c.target.idle_in_transaction_session_timeout; },
      Milliseconds{0}, false));
}

// [apply], [progress], [reconnect]: batching, confirming, reconnecting.
void add_flow_keys(std::vector<KeyDef>& t) {
  t.push_back(count_key(
      "apply", "batch_max_changes", "20000", "Most source changes in one target transaction.",
      [](Config& c) -> std::uint64_t& { return c.apply.batch_max_changes; }, 1, 10'000'000, true));
  t.push_back(size_key(
      "apply", "batch_max_bytes", "16MiB", "Most decoded bytes in one target transaction.",
      [](Config& c) -> std::uint64_t& { return c.apply.batch_max_bytes; }, 4096, true));
  t.push_back(duration_key(
      "apply", "batch_max_delay", "100ms",
      "Longest a committed source transaction waits for its batch to fill.",
      [](Config& c) -> Milliseconds& { return c.apply.batch_max_delay; }, Milliseconds{0}, true));
  t.push_back(size_key(
      "apply", "queue_max_bytes", "64MiB",
      "Bound on received-but-unapplied data; the stream pauses beyond it.",
      [](Config& c) -> std::uint64_t& { return c.apply.queue_max_bytes; }, 1 << 20, false));
  t.push_back(count_key(
      "apply", "copy_min_rows", "0",
      "A statement of at least this many rows sends them by binary COPY into a stage table "
      "instead of array parameters. 0: never (measured slower here, bench/README.md).",
      [](Config& c) -> std::uint64_t& { return c.apply.copy_min_rows; }, 0, 10'000'000, false));
  t.push_back(choice_key(
      "apply", "session_replication_role", "replica",
      "\"replica\": apply sessions run with session_replication_role = replica, as "
      "PostgreSQL's apply worker does, where the role may set it and the target has no trigger "
      "or foreign key the apply statements do not stand in for (else the default role, and the "
      "log says why); \"origin\": always the default role.",
      [](Config& c) -> std::string& { return c.apply.session_replication_role; },
      {"replica", "origin"}, false));
  t.push_back(choice_key(
      "apply", "streamed_transactions", "spool",
      "A large source transaction that streams while it runs (proto_version 2): \"spool\" "
      "applies it at its commit, \"live\" applies it as it streams on a second target "
      "connection and commits it at its commit.",
      [](Config& c) -> std::string& { return c.apply.streamed_transactions; }, {"spool", "live"},
      false));
  t.push_back(duration_key(
      "apply", "live_lock_timeout", "1s",
      "While a transaction is applied live, how long the main apply connection waits for a "
      "lock before the live transaction gives way (it is then applied at its commit).",
      [](Config& c) -> Milliseconds& { return c.apply.live_lock_timeout; }, Milliseconds{10},
      false));
  t.push_back(duration_key(
      "progress", "replay_window", "0s",
      "Keep this much applied history in the slot so `dualwrite replay` can "
      "re-apply it (retains WAL for that long).",
      [](Config& c) -> Milliseconds& { return c.progress.replay_window; }, Milliseconds{0}, false));
  t.push_back(duration_key(
      "progress", "status_interval", "10s",
      "Longest interval between standby status updates to the source.",
      [](Config& c) -> Milliseconds& { return c.progress.status_interval; }, Milliseconds{100},
      false));
  t.push_back(duration_key(
      "reconnect", "initial_backoff", "100ms",
      "First wait before reconnecting after a lost connection.",
      [](Config& c) -> Milliseconds& { return c.reconnect.initial_backoff; }, Milliseconds{1},
      false));
  t.push_back(duration_key(
      "reconnect", "max_backoff", "30s", "Cap of the jittered exponential reconnect backoff.",
      [](Config& c) -> Milliseconds& { return c.reconnect.max_backoff; }, Milliseconds{1}, false));
}

// [metrics], [log]: what the daemon tells its operators.
void add_ops_keys(std::vector<KeyDef>& t) {
  t.push_back(text_key("metrics", "listen", "127.0.0.1:9752",
                       "host:port serving /metrics, /livez and /readyz. Empty: no HTTP server.",
                       [](Config& c) -> std::string& { return c.metrics.listen; }));
  t.back().assign = [](Config& c, const std::string& v) -> std::optional<std::string> {
    static const std::regex re(R"(^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})$)");
    std::smatch m;
    if (!v.empty() && (!std::regex_match(v, m, re) || std::stoul(m[2].str()) > 65535)) {
      return "must be host:port such as 127.0.0.1:9752 or [::1]:9752, got '" + v + "'";
    }
    c.metrics.listen = v;
    return std::nullopt;
  };
  t.push_back(duration_key(
      "metrics", "ready_max_lag", "60s", "/readyz fails while replication lag exceeds this.",
      [](Config& c) -> Milliseconds& { return c.metrics.ready_max_lag; }, Milliseconds{0}, true));
  t.push_back(duration_key(
      "metrics", "ready_max_stall", "2min",
      "/readyz fails while changes have waited this long without the bridge moving forward, "
      "or the target has not answered for this long.",
      [](Config& c) -> Milliseconds& { return c.metrics.ready_max_stall; }, Milliseconds{0}, true));
  t.push_back(choice_key(
      "log", "level", "info", "trace, debug, info, warn, error or critical.",
      [](Config& c) -> std::string& { return c.log.level; },
      {"trace", "debug", "info", "warn", "error", "critical"}, true));
  t.push_back(choice_key(
      "log", "format", "auto",
      "text, json, journal (systemd), or auto: journal under systemd, else text.",
      [](Config& c) -> std::string& { return c.log.format; }, {"auto", "text", "json", "journal"},
      false));
}

const std::vector<KeyDef>& key_table() {
  static const std::vector<KeyDef> table = [] {
    std::vector<KeyDef> t;
    add_source_keys(t);
    add_target_keys(t);
    add_flow_keys(t);
    add_ops_keys(t);
    return t;
  }();
  return table;
}

std::string env_name(const KeyDef& k) {
  std::string name = "DUALWRITE_" + std::string(k.section) + "_" + k.key;
  for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// libpq's URI query keys are percent-decoded ("pass%77ord" is "password").
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Whether the URI starting at `uri` carries a password: in its user info (user:password@host)
// or as a query parameter (?password=…, the key percent-decoded as libpq does).
bool uri_has_password(std::string_view uri) {
  uri = uri.substr(0, uri.find_first_of(" \t\n'\""));
  std::string_view rest = uri.substr(uri.find("://") + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) {
    return true;
  }
  const auto question = rest.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = rest.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    std::string key = percent_decoded(param.substr(0, param.find('=')));
    for (auto& c : key) c = lower(c);
    if (key == "password") return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// libpq takes a password as the keyword password=…, or in a URI (the user info, or a query
// parameter whose key it percent-decodes); a URI may also stand in for dbname (libpq expands
// it). Every one of those is looked for; a false positive (the word inside a quoted value) only
// costs moving that value to the environment.
bool contains_password(std::string_view conninfo) {
  static const std::regex keyword(R"((^|\s|')password\s*=)", std::regex::icase);
  const std::string s(conninfo);
  if (std::regex_search(s, keyword)) return true;
  std::string folded = s;
  for (auto& c : folded) c = lower(c);
  for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
    for (auto at = folded.find(scheme); at != std::string::npos;
         at = folded.find(scheme, at + scheme.size())) {
      if (uri_has_password(std::string_view(s).substr(at))) return true;
    }
  }
  return false;
}

// The TOML value of a key as text, or an error message when its TOML type is wrong.
std::optional<std::string> toml_as_text(const toml::node& node, Kind kind, std::string& error) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer() && kind != Kind::text && kind != Kind::choice && kind != Kind::list) {
    return std::to_string(*node.value<std::int64_t>());
  }
  if (node.is_array() && kind == Kind::list) {
    std::vector<std::string> items;
    for (const auto& el : *node.as_array()) {
      if (!el.is_string()) {
        error = "must be an array of strings";
        return std::nullopt;
      }
      items.push_back(*el.value<std::string>());
    }
    return join(items, ",");
  }
  switch (kind) {
    case Kind::integer:
      error = "must be an integer";
      break;
    case Kind::size:
      error = "must be a size (integer bytes or a string such as \"16MiB\")";
      break;
    case Kind::duration:
      error = "must be a duration string such as \"10s\"";
      break;
    case Kind::list:
      error = "must be an array of strings";
      break;
    default:
      error = "must be a string";
      break;
  }
  return std::nullopt;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The warning for `name`, a DUALWRITE_ variable that no key has, when it looks like one of
// ours: a section's prefix, within two typos of a key's variable, or a key's name without its
// section. nullopt for the others (other tools' variables, such as the test scripts').
std::optional<std::string> unknown_variable_warning(const std::string& name) {
  constexpr std::string_view prefix = "DUALWRITE_";
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string rest = name.substr(prefix.size());
  std::size_t best = SIZE_MAX;
  std::vector<const KeyDef*> nearest;
  bool known_section = false;
  for (const auto& k : key_table()) {
    const std::string var = env_name(k);
    if (var == name) return std::nullopt;
    if (rest.rfind(upper(k.section) + "_", 0) == 0) known_section = true;
    const std::size_t d = std::min(edit_distance(name, var), edit_distance(rest, upper(k.key)));
    if (d < best) nearest.clear();
    if (d <= best) {
      best = d;
      nearest.push_back(&k);
    }
  }
  if (!known_section && best > 2) return std::nullopt;
  std::vector<std::string> meant;
  for (const auto* k : nearest) meant.push_back(env_name(*k));
  std::vector<std::string> section_keys;
  for (const auto& k : key_table()) {
    if (std::string_view(k.section) == nearest.front()->section)
      section_keys.push_back(env_name(k));
  }
  return "environment variable " + name +
         " is not a configuration key and is ignored: did you mean " + join(meant, " or ") +
         "? (keys of [" + nearest.front()->section + "]: " + join(section_keys, ", ") + ")";
}

std::vector<std::string> unknown_variable_warnings(const EnvNames& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (auto w = unknown_variable_warning(name)) out.push_back(std::move(*w));
  }
  return out;
}

// [log] format from the environment alone, when it names a valid one (the file could not be
// read): how a failed start-up reports.
std::string log_format_from(const EnvLookup& env) {
  const char* value = env("DUALWRITE_LOG_FORMAT");
  if (value == nullptr) return {};
  for (const auto& k : key_table()) {
    if (std::string_view(k.section) == "log" && std::string_view(k.key) == "format") {
      Config scratch;
      return k.assign(scratch, value) ? std::string() : std::string(value);
    }
  }
  return {};
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems, std::vector<std::string> warnings,
                         std::string log_format)
    : std::runtime_error(problems.empty() ? "invalid configuration" : problems.front()),
      problems_(std::move(problems)),
      warnings_(std::move(warnings)),
      log_format_(std::move(log_format)) {}

EnvLookup process_environment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

EnvNames process_environment_names() {
  EnvNames names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    names.emplace_back(text.substr(0, text.find('=')));
  }
  return names;
}

std::optional<Milliseconds> parse_duration(std::string_view text) {
  const auto q = quantity(text);
  if (!q) return std::nullopt;
  const std::string& unit = q->unit;
  const std::uint64_t n = q->number;
  std::uint64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "min")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit.empty() && n == 0)
    factor = 1;  // a bare 0 needs no unit
  else
    return std::nullopt;
  if (n > UINT64_MAX / factor / 2) return std::nullopt;
  return Milliseconds{static_cast<Milliseconds::rep>(n * factor)};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto q = quantity(text);
  if (!q) return std::nullopt;
  const std::string& unit = q->unit;
  const std::uint64_t n = q->number;
  std::uint64_t factor = 0;
  if (unit.empty() || unit == "B")
    factor = 1;
  else if (unit == "KiB" || unit == "kB")
    factor = 1024;
  else if (unit == "MiB" || unit == "MB")
    factor = 1024 * 1024;
  else if (unit == "GiB" || unit == "GB")
    factor = 1024ull * 1024 * 1024;
  else
    return std::nullopt;
  if (n > UINT64_MAX / factor) return std::nullopt;
  return n * factor;
}

LoadResult load_from_string(std::string_view toml_text, std::string_view origin,
                            const EnvLookup& env, const EnvNames& env_names) {
  std::vector<std::string> problems;
  std::vector<std::string> warnings = unknown_variable_warnings(env_names);
  toml::table doc;
  try {
    doc = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError({std::string(origin) + ":" + std::to_string(where.line) + ":" +
                       std::to_string(where.column) + ": " + std::string(e.description())},
                      std::move(warnings), log_format_from(env));
  }

  // Unknown sections and keys are errors: a typo must not silently fall back to a default.
  for (const auto& [section_name, section_node] : doc) {
    const std::string section(section_name.str());
    const bool known_section = std::any_of(key_table().begin(), key_table().end(),
                                           [&](const KeyDef& k) { return section == k.section; });
    if (!known_section || !section_node.is_table()) {
      problems.push_back(std::string(origin) + ": unknown section [" + section +
                         "] (known: source, target, apply, progress, reconnect, metrics, log)");
      continue;
    }
    for (const auto& [key_name, unused] : *section_node.as_table()) {
      const std::string key(key_name.str());
      const bool known = std::any_of(key_table().begin(), key_table().end(), [&](const KeyDef& k) {
        return section == k.section && key == k.key;
      });
      if (!known) {
        std::vector<std::string> keys;
        for (const auto& k : key_table()) {
          if (section == k.section) keys.emplace_back(k.key);
        }
        problems.push_back(std::string(origin) + ": unknown key [" + section + "] " + key +
                           " (known in [" + section + "]: " + join(keys, ", ") + ")");
      }
    }
  }

  LoadResult result;
  std::string log_format;  // as far as it could be read, for ConfigError
  for (const auto& k : key_table()) {
    std::string text = k.default_text;
    ValueSource source = ValueSource::default_value;
    std::string where = "default";
    if (const toml::node* node = doc[k.section][k.key].node()) {
      std::string type_error;
      if (auto v = toml_as_text(*node, k.kind, type_error)) {
        text = *v;
        source = ValueSource::file;
        where = std::string(origin);
        if (k.secret_in_file_forbidden && contains_password(text)) {
          problems.push_back(std::string(origin) + ": [" + k.section + "] " + k.key +
                             " contains a password; keep it out of the config file: use a libpq "
                             "passfile, PGPASSWORD, or [" +
                             k.section + "] password_file");
        }
      } else {
        problems.push_back(std::string(origin) + ": [" + k.section + "] " + k.key + " " +
                           type_error);
      }
    }
    const std::string var = env_name(k);
    if (const char* value = env(var.c_str())) {
      text = value;
      source = ValueSource::environment;
      where = var;
    }
    if (auto err = k.assign(result.config, text)) {
      problems.push_back(where + ": [" + k.section + "] " + k.key + " " + *err);
      continue;
    }
    if (std::string_view(k.section) == "log" && std::string_view(k.key) == "format") {
      log_format = result.config.log.format;
    }
    std::string shown = k.render(result.config);
    if (k.secret_in_file_forbidden && contains_password(shown)) shown = "<redacted>";
    result.values.push_back(AppliedValue{k.section, k.key, shown, source});
  }

  // Cross-key rules.
  const auto& c = result.config;
  if (c.reconnect.max_backoff < c.reconnect.initial_backoff) {
    problems.push_back("[reconnect] max_backoff must not be below initial_backoff");
  }
  if (c.apply.queue_max_bytes < c.apply.batch_max_bytes) {
    problems.push_back("[apply] queue_max_bytes must be at least batch_max_bytes");
  }
  if (c.source.conninfo.empty()) {
    problems.push_back(
        "[source] conninfo must not be empty (set it in the file or "
        "DUALWRITE_SOURCE_CONNINFO)");
  }
  if (!problems.empty()) {
    throw ConfigError(std::move(problems), std::move(warnings), std::move(log_format));
  }
  result.warnings = std::move(warnings);
  return result;
}

LoadResult load_file(const std::string& path, const EnvLookup& env, bool path_was_given,
                     const EnvNames& env_names) {
  std::ifstream in(path);
  if (!in) {
    if (!path_was_given) return load_from_string("", "defaults", env, env_names);
    throw ConfigError({"cannot read config file " + path +
                       " (pass an existing file with --config, or omit --config to use " +
                       std::string(default_config_path) + ")"},
                      unknown_variable_warnings(env_names), log_format_from(env));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return load_from_string(buf.str(), path, env, env_names);
}

std::string render_defaults() {
  std::string out =
      "# dualwrite configuration: every key with its default.\n"
      "# Each key can also be set from the environment as DUALWRITE_<SECTION>_<KEY>.\n";
  std::string section;
  for (const auto& k : key_table()) {
    if (section != k.section) {
      section = k.section;
      out += "\n[" + section + "]\n";
    }
    out += "# " + std::string(k.help) + (k.reloadable ? " (reloadable with SIGHUP)" : "") + "\n";
    out += std::string(k.key) + " = ";
    if (k.kind == Kind::list) {
      std::vector<std::string> items;
      std::stringstream ss(k.default_text);
      std::string item;
      while (std::getline(ss, item, ',')) items.push_back("\"" + trim(item) + "\"");
      out += "[" + join(items, ", ") + "]\n";
    } else if (k.kind == Kind::integer) {
      out += std::string(k.default_text) + "\n";
    } else {
      out += "\"" + std::string(k.default_text) + "\"\n";
    }
  }
  return out;
}

bool is_reloadable(std::string_view section, std::string_view key) {
  for (const auto& k : key_table()) {
    if (section == k.section && key == k.key) return k.reloadable;
  }
  return false;
}

ReloadPlan plan_reload(const LoadResult& before, const LoadResult& after) {
  ReloadPlan plan;
  for (std::size_t i = 0; i < before.values.size() && i < after.values.size(); ++i) {
    const auto& a = before.values[i];
    const auto& b = after.values[i];
    if (a.value == b.value) continue;
    (is_reloadable(b.section, b.key) ? plan.applied : plan.needs_restart)
        .push_back("[" + b.section + "] " + b.key);
  }
  return plan;
}

std::string read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError({"cannot read password file " + path});
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw ConfigError({"password file " + path + " is empty"});
  return line;
}

}  // namespace dualwrite::config
