#include "dualwrite/verify/verify.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/decode/json.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/verify.hpp"
#include "dualwrite/verify/statements.hpp"

namespace dualwrite::verify {

namespace {

using Clock = std::chrono::steady_clock;

// Segments are never split past this many key characters (a uuid's text has 36).
constexpr int kMaxPrefix = 64;

// A database failure, with the side it happened on.
class SideError : public std::runtime_error {
 public:
  SideError(ErrorDomain domain, const std::string& message)
      : std::runtime_error(message), domain_(domain) {}
  ErrorDomain domain() const { return domain_; }

 private:
  ErrorDomain domain_;
};

struct Side {
  apply::Connection conn;
  ErrorDomain domain = ErrorDomain::source;
  const char* name = "source";

  [[noreturn]] void fail(const apply::DbError& e) const {
    throw SideError(domain, std::string(name) + ": " + e.what());
  }
  [[noreturn]] void fail(const Error& e) const {
    throw SideError(domain, std::string(name) + ": " + e.message);
  }
  // Runs `body` against this side; a database error becomes this side's SideError.
  template <typename Body>
  auto run(Body&& body) {
    auto done = pg::attempt(domain, std::forward<Body>(body));
    if (!done) fail(done.error());
    if constexpr (!std::is_same_v<decltype(done), Status>) return std::move(*done);
  }
  void exec(std::string_view sql) {
    run([&] { conn.exec(sql); });
  }
  std::string scalar(const std::string& sql) {
    return run([&] { return conn.scalar(sql); });
  }
  // Sends a statement without waiting for it (PQsendQueryParams), so the other side can run
  // at the same time.
  void send(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    if (PQsendQueryParams(conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), nullptr, nullptr, 0) == 0) {
      fail(conn.error_of(nullptr));
    }
  }
  // The result of what send() sent; reads every result so the connection is ready for the next
  // statement even when this one failed. Returns the error instead of throwing.
  apply::ResultPtr receive(std::optional<apply::DbError>& error) {
    apply::ResultPtr last;
    while (PGresult* r = PQgetResult(conn.get())) {
      apply::ResultPtr owned(r);
      const auto st = PQresultStatus(r);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !error) {
        error.emplace(conn.error_of(r));
      }
      last = std::move(owned);
    }
    if (!last && !error) error.emplace(conn.error_of(nullptr));
    return last;
  }
};

// Runs one statement on each side at the same time; throws the first failure.
std::pair<apply::ResultPtr, apply::ResultPtr> both(Side& e, const std::string& sql_e,
                                                   const std::vector<std::string>& params_e,
                                                   Side& a, const std::string& sql_a,
                                                   const std::vector<std::string>& params_a) {
  e.send(sql_e, params_e);
  std::optional<apply::DbError> error_e, error_a;
  try {
    a.send(sql_a, params_a);
  } catch (const SideError&) {
    (void)e.receive(error_e);
    throw;
  }
  auto re = e.receive(error_e);
  auto ra = a.receive(error_a);
  if (error_e) e.fail(*error_e);
  if (error_a) a.fail(*error_a);
  return {std::move(re), std::move(ra)};
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    apply::append_array_element(out, values[i]);
  }
  return out + "}";
}

// One side's segments: prefix -> (count, sum of row hashes as text).
struct Aggregate {
  std::int64_t count = 0;
  std::string sum;
  bool operator==(const Aggregate&) const = default;
};
using Segments = std::map<std::string, Aggregate>;

Segments read_segments(const PGresult* r) {
  Segments out;
  for (int i = 0; i < PQntuples(r); ++i) {
    out[PQgetvalue(r, i, 0)] =
        Aggregate{std::strtoll(PQgetvalue(r, i, 1), nullptr, 10), PQgetvalue(r, i, 2)};
  }
  return out;
}

// A differing segment small enough to diff key by key.
struct Leaf {
  std::string prefix;
  int level = 0;
  std::int64_t rows = 0;   // the larger side's count
  bool differs = false;    // the first look found a mismatch in it
  bool untracked = false;  // its keys were not remembered (kMaxTrackedKeys reached)
};

// Key lists of a set of leaves, both sides, diffed. One query per side over all the leaves (a
// scan of a view costs the same whatever part of it is wanted), read through a cursor ordered
// by key in byte order (COLLATE "C", as std::string compares) `fetch_rows` at a time, and
// merged here: memory stays at two fetches whatever the number of leaves. The mismatches come
// out in key order.
class LeafDiffer {
 public:
  LeafDiffer(Side& e, Side& a, const std::string& leaf_rows_e, const std::string& leaf_rows_a,
             std::size_t fetch_rows)
      : e_(e),
        a_(a),
        leaf_rows_e_(leaf_rows_e),
        leaf_rows_a_(leaf_rows_a),
        fetch_(std::to_string(fetch_rows)) {}

  // Calls sink(leaf index, mismatch) for each mismatch, in key order.
  template <typename Sink>
  void run(const std::vector<Leaf>& leaves, const std::vector<std::size_t>& which, Sink sink) {
    if (which.empty()) return;
    // One `prefix = ANY(prefixes)` per level present (statements.hpp with_leaves).
    std::map<int, std::vector<std::string>> by_level;
    std::map<std::pair<int, std::string>, std::size_t> index;
    for (std::size_t idx : which) {
      by_level[leaves[idx].level].push_back(leaves[idx].prefix);
      index[{leaves[idx].level, leaves[idx].prefix}] = idx;
    }
    std::vector<std::string> params;
    for (const auto& [level, prefixes] : by_level) {
      params.push_back(std::to_string(level));
      params.push_back(array_literal(prefixes));
    }
    const std::string declare = "DECLARE verify_leaves NO SCROLL CURSOR FOR ";
    both(e_, declare + with_leaves(leaf_rows_e_, by_level.size()), params, a_,
         declare + with_leaves(leaf_rows_a_, by_level.size()), params);
    Stream e{&e_, false, {}}, a{&a_, true, {}};
    std::vector<Mismatch> found;
    const std::string fetch = "FETCH " + fetch_ + " FROM verify_leaves";
    while (true) {
      const bool need_e = !e.done && e.rows.empty();
      const bool need_a = !a.done && a.rows.empty();
      if (need_e && need_a) {
        auto [re, ra] = both(e_, fetch, {}, a_, fetch, {});
        e.take(re.get());
        a.take(ra.get());
      } else if (need_e || need_a) {
        Stream& s = need_e ? e : a;
        s.side->send(fetch, {});
        std::optional<apply::DbError> error;
        auto r = s.side->receive(error);
        if (error) s.side->fail(*error);
        s.take(r.get());
      }
      if (e.done && a.done && e.rows.empty() && a.rows.empty()) break;
      // Rows up to the smaller of the sides' last keys are final on both sides; a side that is
      // exhausted sets no bound.
      const std::string* bound = nullptr;
      for (const Stream* s : {&e, &a}) {
        if (s->done) continue;
        if (bound == nullptr || s->rows.back().key < *bound) bound = &s->rows.back().key;
      }
      const bool bounded = bound != nullptr;
      const std::string limit = bounded ? *bound : std::string();
      auto split = [&](std::vector<KeyedRow>& rows) {
        const auto cut = bounded ? std::upper_bound(rows.begin(), rows.end(), limit,
                                                    [](const std::string& k, const KeyedRow& r) {
                                                      return k < r.key;
                                                    })
                                 : rows.end();
        std::vector<KeyedRow> head(std::make_move_iterator(rows.begin()),
                                   std::make_move_iterator(cut));
        rows.erase(rows.begin(), cut);
        return head;
      };
      const auto head_e = split(e.rows);
      const auto head_a = split(a.rows);
      found.clear();
      diff_sorted(head_e, head_a, found);
      for (auto& m : found) route(by_level, index, std::move(m), sink);
    }
    e_.exec("CLOSE verify_leaves");
    a_.exec("CLOSE verify_leaves");
  }

 private:
  struct Stream {
    Side* side;
    bool actual;
    std::vector<KeyedRow> rows;  // fetched, not yet diffed, in key order
    bool done = false;
    void take(const PGresult* r) {
      const int n = PQntuples(r);
      if (n == 0) done = true;
      for (int i = 0; i < n; ++i) {
        rows.push_back(KeyedRow{PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                actual && *PQgetvalue(r, i, 2) == 't'});
      }
    }
  };

  // Leaves are disjoint: one level's prefix of the key names its leaf.
  template <typename Sink>
  static void route(const std::map<int, std::vector<std::string>>& by_level,
                    const std::map<std::pair<int, std::string>, std::size_t>& index, Mismatch m,
                    Sink& sink) {
    for (const auto& [level, unused] : by_level) {
      (void)unused;
      const auto it = index.find({level, m.key.substr(0, static_cast<std::size_t>(level))});
      if (it != index.end()) {
        sink(it->second, std::move(m));
        return;
      }
    }
  }

  Side& e_;
  Side& a_;
  const std::string& leaf_rows_e_;
  const std::string& leaf_rows_a_;
  std::string fetch_;
};

// Opens the pass's transactions: one snapshot for both sides when they are one database.
void begin(Side& e, Side& a, bool same_database) {
  a.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  e.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (same_database) {
    const std::string snapshot = a.scalar("SELECT pg_export_snapshot()");
    e.exec("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
  }
}

void commit(Side& e, Side& a) {
  e.exec("COMMIT");
  a.exec("COMMIT");
}

// Session settings that make row texts comparable across two sessions (timestamptz prints in
// the session's time zone) and keep a long scan from being cut off by a role's timeout.
void prepare_session(Side& s) {
  s.exec(sql::verify::session_setup);
}

std::vector<Spec> read_specs(Side& source) {
  bool found = false;
  source.run([&] { source.conn.scalar(sql::verify::compare_spec_exists, {}, &found); });
  if (!found) {
    throw SideError(ErrorDomain::source,
                    "source: dualwrite_expected.compare_spec does not exist: apply the "
                    "migrations (20261125001500_expected_state.sql, "
                    "20261125001600_compare.sql) to the source database");
  }
  const apply::ResultPtr r =
      source.run([&] { return source.conn.query(sql::verify::compare_spec); });
  std::vector<Spec> specs;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    specs.push_back(Spec{PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 1),
                         PQgetvalue(r.get(), i, 2), PQgetvalue(r.get(), i, 3),
                         PQgetvalue(r.get(), i, 4), PQgetvalue(r.get(), i, 5)});
  }
  return specs;
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 60'000 == 0 && ms > 0) return std::to_string(ms / 60'000) + "min";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// Where the bridge stands, read between passes (outside any transaction).
class TableVerifier {
 public:
  TableVerifier(Side& e, Side& a, bool same_database, const Spec& spec, const Options& options)
      : e_(e),
        a_(a),
        same_(same_database),
        spec_(spec),
        options_(options),
        sql_e_(expected_statements(spec)),
        sql_a_(actual_statements(spec)) {}

  TableResult first_pass() {
    TableResult t;
    t.table = spec_.table;
    const auto started = Clock::now();
    begin(e_, a_, same_);
    int level = std::max(1, options_.prefix_chars);
    std::vector<std::string> parents;
    bool first = true;
    while (first || !parents.empty()) {
      std::vector<std::string> params{std::to_string(level)};
      if (!first) params.push_back(array_literal(parents));
      auto [re, ra] = both(e_, first ? sql_e_.segments : sql_e_.segments_under, params, a_,
                           first ? sql_a_.segments : sql_a_.segments_under, params);
      const Segments se = read_segments(re.get());
      const Segments sa = read_segments(ra.get());
      if (first) {
        for (const auto& [p, g] : se) t.expected += g.count;
        for (const auto& [p, g] : sa) t.actual += g.count;
      }
      std::set<std::string> prefixes;
      for (const auto& [p, g] : se) prefixes.insert(p);
      for (const auto& [p, g] : sa) prefixes.insert(p);
      t.segments += static_cast<std::int64_t>(prefixes.size());
      parents.clear();
      for (const auto& p : prefixes) {
        const auto ie = se.find(p);
        const auto ia = sa.find(p);
        const Aggregate ge = ie == se.end() ? Aggregate{} : ie->second;
        const Aggregate ga = ia == sa.end() ? Aggregate{} : ia->second;
        if (ge == ga) continue;
        const std::int64_t rows = std::max(ge.count, ga.count);
        if (rows > options_.leaf_rows && static_cast<int>(p.size()) == level &&
            level < kMaxPrefix) {
          parents.push_back(p);
          ++t.segments_split;
        } else {
          leaves_.push_back(Leaf{p, level, rows});
        }
      }
      first = false;
      ++level;
    }
    std::sort(leaves_.begin(), leaves_.end(),
              [](const Leaf& x, const Leaf& y) { return x.prefix < y.prefix; });
    t.leaves_fetched = static_cast<std::int64_t>(leaves_.size());
    std::vector<std::size_t> all(leaves_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    LeafDiffer differ(e_, a_, sql_e_.leaf_rows, sql_a_.leaf_rows, options_.fetch_rows);
    differ.run(leaves_, all, [&](std::size_t leaf, Mismatch m) {
      ++t.first_look;
      leaves_[leaf].differs = true;
      if (first_.size() < kMaxTrackedKeys && !leaves_[leaf].untracked) {
        first_.push_back(std::move(m));
      } else {
        leaves_[leaf].untracked = true;
      }
    });
    commit(e_, a_);
    t.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    // Nothing rechecked yet: the first look is the result.
    t.mismatches = t.first_look;
    for (const auto& m : first_) {
      if (t.listed.size() >= options_.max_listed) break;
      t.listed.push_back(m);
    }
    return t;
  }

  // Reads the differing leaves again; keeps the keys that still differ and differed before.
  void recheck(TableResult& t) {
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < leaves_.size(); ++i) {
      if (leaves_[i].differs) which.push_back(i);
    }
    std::vector<std::string> before;
    before.reserve(first_.size());
    for (const auto& m : first_) before.push_back(m.key);  // sorted: leaves go in key order
    begin(e_, a_, same_);
    t.mismatches = 0;
    t.listed.clear();
    LeafDiffer differ(e_, a_, sql_e_.leaf_rows, sql_a_.leaf_rows, options_.fetch_rows);
    differ.run(leaves_, which, [&](std::size_t leaf, Mismatch m) {
      const bool persisted =
          leaves_[leaf].untracked || std::binary_search(before.begin(), before.end(), m.key);
      if (!persisted) return;  // new since the first look: in flight, not drift
      ++t.mismatches;
      if (t.listed.size() < options_.max_listed) t.listed.push_back(std::move(m));
    });
    commit(e_, a_);
  }

 private:
  Side& e_;
  Side& a_;
  bool same_;
  const Spec& spec_;
  const Options& options_;
  const SideStatements sql_e_;  // the expected side's statements for this table
  const SideStatements sql_a_;  // the actual side's
  std::vector<Leaf> leaves_;
  std::vector<Mismatch> first_;  // first-look mismatches in key order (at most kMaxTrackedKeys)
};

std::string tables_json(const std::vector<TableResult>& tables) {
  std::string out = "[";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (i > 0) out += ',';
    out += table_json(tables[i], false);
  }
  return out + "]";
}

// dualwrite.verify_runs on the target: a failure to record is a warning, never fatal (a
// read-only role may still verify).
class Recorder {
 public:
  Recorder(Side& target, bool enabled, RunResult& result) : target_(target), result_(result) {
    if (!enabled) return;
    auto started = pg::attempt(ErrorDomain::target, [&] {
      return std::stoll(target_.conn.scalar(sql::verify::run_start));
    });
    if (started) {
      result_.run_id = *started;
    } else {
      warn(started.error().message);
    }
  }

  void finish() {
    if (!result_.run_id) return;
    const std::string id = std::to_string(*result_.run_id);
    const std::string tables = tables_json(result_.tables);
    const std::string mismatches = std::to_string(result_.mismatches);
    const std::string source_lsn = result_.source_lsn.to_string();
    const std::string applied = result_.applied_lsn && result_.applied_lsn->is_valid()
                                    ? result_.applied_lsn->to_string()
                                    : "";
    auto finished = pg::attempt(ErrorDomain::target, [&] {
      target_.conn.query(sql::verify::run_finish, {id.c_str(), tables.c_str(), mismatches.c_str(),
                                                   source_lsn.c_str(), applied.c_str()});
    });
    if (!finished) warn(finished.error().message);
  }

 private:
  void warn(const std::string& what) {
    result_.warnings.push_back("cannot record the run in dualwrite.verify_runs on the target (" +
                               what + "); going on without it");
  }

  Side& target_;
  RunResult& result_;
};

}  // namespace

const char* to_string(Problem p) {
  switch (p) {
    case Problem::missing:
      return "missing";
    case Problem::extra:
      return "extra";
    case Problem::different:
      return "different";
  }
  return "different";
}

double TableResult::rows_per_second() const {
  const double rows = static_cast<double>(expected + actual);
  return seconds > 0 ? rows / seconds : 0;
}

std::int64_t RunResult::rows() const {
  std::int64_t n = 0;
  for (const auto& t : tables) n += t.expected + t.actual;
  return n;
}

double RunResult::compare_seconds() const {
  double s = 0;
  for (const auto& t : tables) s += t.seconds;
  return s;
}

void diff_sorted(const std::vector<KeyedRow>& expected, const std::vector<KeyedRow>& actual,
                 std::vector<Mismatch>& out) {
  std::size_t i = 0, j = 0;
  while (i < expected.size() || j < actual.size()) {
    if (j == actual.size() || (i < expected.size() && expected[i].key < actual[j].key)) {
      out.push_back(Mismatch{expected[i].key, Problem::missing});
      ++i;
    } else if (i == expected.size() || actual[j].key < expected[i].key) {
      if (!actual[j].ignored) out.push_back(Mismatch{actual[j].key, Problem::extra});
      ++j;
    } else {
      if (expected[i].digest != actual[j].digest) {
        out.push_back(Mismatch{expected[i].key, Problem::different});
      }
      ++i;
      ++j;
    }
  }
}

std::string json_string(std::string_view s) {
  std::string out;
  decode::append_json_string(s, out);  // quoted, escaped, invalid UTF-8 replaced
  return out;
}

std::string table_json(const TableResult& t, bool with_listed) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", t.rows_per_second());
  std::string out =
      "{\"table\":" + json_string(t.table) + ",\"expected\":" + std::to_string(t.expected) +
      ",\"actual\":" + std::to_string(t.actual) +
      ",\"mismatches\":" + std::to_string(t.mismatches) + ",\"rows_per_second\":" + rate;
  if (t.note) out += ",\"note\":" + json_string(*t.note);
  if (with_listed) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.3f", t.seconds);
    out += ",\"seconds\":" + std::string(seconds) +
           ",\"first_look\":" + std::to_string(t.first_look) + ",\"listed\":[";
    for (std::size_t i = 0; i < t.listed.size(); ++i) {
      if (i > 0) out += ',';
      out += "{\"key\":" + json_string(t.listed[i].key) + ",\"problem\":\"" +
             to_string(t.listed[i].problem) + "\"}";
    }
    out += "]";
  }
  return out + "}";
}

namespace {

// The tables of --tables (all when none), in compare_spec's order; a name it does not know is a
// usage error.
Result<std::vector<const Spec*>> chosen_specs(const std::vector<Spec>& all,
                                              const std::vector<std::string>& tables) {
  for (const auto& name : tables) {
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const Spec& s) { return s.table == name; });
    if (it == all.end()) {
      std::string names;
      for (const auto& s : all) names += (names.empty() ? "" : ", ") + s.table;
      return make_error(ErrorDomain::usage,
                        "unknown table '" + name + "' in --tables (one of: " + names + ")");
    }
  }
  std::vector<const Spec*> chosen;
  for (const auto& s : all) {
    if (tables.empty() || std::find(tables.begin(), tables.end(), s.table) != tables.end()) {
      chosen.push_back(&s);
    }
  }
  return chosen;
}

// The bridge as verify waits for it: a table that differed at first look is rechecked once the
// bridge has applied past what was compared (or options.wait ran out; once it has, later tables
// look once), with a note when its mismatches may be changes in flight.
class BridgeWait {
 public:
  BridgeWait(Side& source, Side& target, const config::Config& config, const Options& options)
      : source_(source), target_(target), config_(config), options_(options) {}

  // Waits as said, rechecks `t` and returns the bridge's applied position.
  Lsn recheck(TableVerifier& verifier, TableResult& t) {
    // Is there a bridge to wait for? Without slot and origin nothing will move.
    auto p = positions(t.position, std::chrono::milliseconds(0));
    if (!p.slot_exists && !p.origin_exists) {
      t.note = "no bridge found (slot " + config_.source.slot + " and origin " +
               config_.source.origin +
               " do not exist): not rechecked, these may be changes in flight";
      return p.applied();
    }
    if (p.applied() < t.position && !timed_out_) {
      if (options_.on_wait) options_.on_wait(t.table, t.position);
      p = positions(t.position, options_.wait);
    }
    verifier.recheck(t);
    if (p.applied() < t.position) {
      timed_out_ = true;
      t.note = in_flight_note(p, t.position);
    }
    return p.applied();
  }

 private:
  // Where the bridge stands once it has applied past `position` or `timeout` passed (0: at
  // once); a failure fails the side it came from.
  admin::BridgePositions positions(Lsn position, std::chrono::milliseconds timeout) {
    auto waited = pg::attempt(ErrorDomain::target, [&] {
      return admin::wait_until_applied(
          source_.conn, target_.conn, config_, position, timeout,
          options_.stopped_after.value_or(admin::stopped_bridge_after(config_)));
    });
    if (!waited) (target_.conn.ok() ? source_ : target_).fail(waited.error());
    return std::move(*waited);
  }

  std::string in_flight_note(const admin::BridgePositions& p, Lsn position) const {
    const std::string applied = p.applied().is_valid() ? p.applied().to_string() : "unknown";
    return p.slot_active
               ? "bridge did not apply past " + position.to_string() + " within " +
                     format_duration(options_.wait) + " (applied: " + applied +
                     "): these may be in flight"
               : "the bridge is not running (no daemon on slot " + config_.source.slot +
                     ") and did not apply past " + position.to_string() + " (applied: " + applied +
                     "): these may be in flight; start the daemon and verify again";
  }

  Side& source_;
  Side& target_;
  const config::Config& config_;
  const Options& options_;
  bool timed_out_ = false;
};

}  // namespace

Result<RunResult> run(const config::Config& config, const Options& options) {
  if (options.prefix_chars < 1 || options.leaf_rows < 1 || options.fetch_rows < 1) {
    return make_error(ErrorDomain::usage,
                      "verify: prefix_chars, leaf_rows and fetch_rows must be "
                      "at least 1");
  }
  const auto started = Clock::now();
  RunResult result;
  Side source{apply::Connection(), ErrorDomain::source, "source"};
  Side target{apply::Connection(), ErrorDomain::target, "target"};
  try {
    source.conn = source.run([&] { return admin::connect_source(config); });
    target.conn = target.run([&] { return admin::connect_target(config); });
    prepare_session(source);
    prepare_session(target);
    const bool same = source.run([&] { return admin::same_database(source.conn, target.conn); });

    const auto all = read_specs(source);
    const auto chosen = chosen_specs(all, options.tables);
    if (!chosen) return chosen.error();

    Recorder recorder(target, options.record, result);
    BridgeWait bridge(source, target, config, options);
    for (const Spec* spec : *chosen) {
      TableVerifier verifier(source, target, same, *spec, options);
      TableResult t = verifier.first_pass();
      t.position = source.run([&] { return admin::current_wal_lsn(source.conn); });
      result.source_lsn = std::max(result.source_lsn, t.position);
      if (t.first_look > 0 && options.wait.count() > 0) {
        result.applied_lsn = bridge.recheck(verifier, t);
      }
      result.mismatches += t.mismatches;
      if (options.on_table_done) options.on_table_done(t);
      result.tables.push_back(std::move(t));
    }
    if (!result.applied_lsn) {
      // Only for the record: the comparison itself is done, so a failure here is no error.
      (void)pg::attempt(ErrorDomain::target, [&] {
        const auto p = admin::read_positions(source.conn, target.conn, config);
        if (p.applied().is_valid()) result.applied_lsn = p.applied();
      });
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    recorder.finish();
  } catch (const SideError& e) {
    return make_error(e.domain(), e.what());
  } catch (const config::ConfigError& e) {
    std::string msg;
    for (const auto& p : e.problems()) msg += (msg.empty() ? "" : "; ") + p;
    return make_error(ErrorDomain::usage, msg);
  }
  return result;
}

}  // namespace dualwrite::verify
