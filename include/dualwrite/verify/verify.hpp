// Verification: do the new tables hold what mapping.md computes from the legacy ones?
// (`dualwrite verify`)
//
// For: comparing, table by table, the expected state (the views dualwrite_expected.<table> on
// the SOURCE, which read the legacy tables) with the real target table (public.<table> on the
// TARGET), as dualwrite_expected.compare_spec describes each pair (key, compared row text,
// unexpected rows that are not reported). How, in the manner of data-diff:
//   1. one pass per side groups the rows by the first `prefix_chars` characters of their key
//      (uuid text: 2 hex characters = 256 segments) and sums a 64-bit hash of md5(row text) per
//      segment, with the row count; the table's counts come from the same pass;
//   2. segments whose count or sum differ are split by one more key character, all of one
//      level in one pass per side, while they hold more than `leaf_rows` rows;
//   3. a differing segment that is small enough has its (key, md5) lists read from both sides
//      (all such segments in one cursor per side, ordered by key) and merged here: missing
//      (expected, not in the table), extra (in the table, not expected, unless compare_spec's
//      extra_ignored says so), different (both, row text differs).
// Both sides run at once on two connections. When source and target are one database, both
// read one snapshot (REPEATABLE READ READ ONLY, the target's snapshot exported to the source
// connection); otherwise each side reads a snapshot of its own, held for the whole table.
// Persistence: a mismatch may be a change the bridge has not applied yet. After a table's
// pass, P = the source's current WAL position; if the table has mismatches, the bridge is
// awaited (admin::wait_until_applied) until it has applied past P, then the differing segments
// are read again and only keys that still differ are reported (drift). When the bridge does
// not get there within `wait`, or no bridge exists, the mismatches count as drift with a note
// saying they may be in flight. wait = 0: one look, no recheck (a quiesced system).
// Cost: one aggregate scan per side when clean; with mismatches, one more per level of splitting
// and one for the key lists (views cannot use an index on a key prefix).
// Memory: per table, the differing keys (for the recheck; at most kMaxTrackedKeys, beyond which
// a segment is rechecked as a whole) and fetch_rows key-list rows per side at a time.
// Not for: repairing anything (replay, bootstrap) or printing (cli/cmd_verify.cpp).
// Where the SQL lives: sql/verify/ (cmake/embed_sql.cmake); the per-table statements are its
// templates filled from compare_spec (verify/statements.hpp). verify.cpp keeps one-line statements
// only: transaction control, the snapshot, the leaf cursor's DECLARE, FETCH and CLOSE.
// Thread-safety: run() is reentrant; the hooks are called on the calling thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/config/config.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::verify {

// Differing keys remembered per table for the recheck (about 100 bytes each).
inline constexpr std::size_t kMaxTrackedKeys = 1'000'000;

enum class Problem { missing, extra, different };
const char* to_string(Problem p);

struct Mismatch {
  std::string key;
  Problem problem = Problem::different;
  bool operator==(const Mismatch&) const = default;
};

struct TableResult {
  std::string table;
  std::int64_t expected = 0;        // rows in dualwrite_expected.<table>
  std::int64_t actual = 0;          // rows in public.<table>
  std::int64_t first_look = 0;      // mismatches found by the first pass
  std::int64_t mismatches = 0;      // those that persisted (drift)
  std::vector<Mismatch> listed;     // the first max_listed of them by key
  double seconds = 0;               // the first pass (waiting and rechecking excluded)
  std::int64_t segments = 0;        // segments compared, over all levels
  std::int64_t segments_split = 0;  // differing segments split further
  std::int64_t leaves_fetched = 0;  // differing segments whose key lists were diffed
  std::optional<std::string> note;  // e.g. the bridge did not get past the position in time
  Lsn position;                     // the source's WAL position after the pass (P)

  // Rows read on both sides per second of the first pass.
  double rows_per_second() const;
};

struct RunResult {
  std::vector<TableResult> tables;
  std::int64_t mismatches = 0;
  bool clean() const { return mismatches == 0; }
  Lsn source_lsn;                      // the last P
  std::optional<Lsn> applied_lsn;      // the bridge's applied position when last read
  std::optional<std::int64_t> run_id;  // dualwrite.verify_runs.id; nullopt when not recorded
  std::vector<std::string> warnings;   // e.g. the run could not be recorded
  double seconds = 0;                  // the whole run, waits included
  std::int64_t rows() const;           // expected + actual over all tables
  double compare_seconds() const;      // the first passes only
};

struct Options {
  std::vector<std::string> tables;  // target tables to compare; empty: all, in FK order
  std::size_t max_listed = 20;      // keys listed per table (all are counted)
  std::chrono::milliseconds wait{std::chrono::minutes(5)};
  // A slot without a daemon for this long ends the wait early: a stopped bridge applies
  // nothing. Unset: admin::stopped_bridge_after(config).
  std::optional<std::chrono::milliseconds> stopped_after;
  int prefix_chars = 2;             // key characters of the first level of segments
  std::int64_t leaf_rows = 2000;    // a differing segment this small is diffed key by key
  std::size_t fetch_rows = 10'000;  // leaf rows fetched at a time per side (memory bound)
  bool record = true;               // write dualwrite.verify_runs on the target
  // Called when a table's result is final (after any wait and recheck).
  std::function<void(const TableResult&)> on_table_done;
  // Called before waiting for the bridge to apply past `position` (mismatches in `table`).
  std::function<void(const std::string& table, Lsn position)> on_wait;
};

// Runs the verification. Errors: usage (an unknown table in options.tables; bad options),
// source / target (a database failed; the message names the side).
Result<RunResult> run(const config::Config& config, const Options& options);

// Pure helpers, exposed for the unit tests.
// Diffs two key-sorted (key, md5) lists; `ignored` marks actual rows whose absence from the
// expected side is not reported. Appends to `out`.
struct KeyedRow {
  std::string key;
  std::string digest;
  bool ignored = false;  // actual side: extra_ignored
};
void diff_sorted(const std::vector<KeyedRow>& expected, const std::vector<KeyedRow>& actual,
                 std::vector<Mismatch>& out);

// The per-table object stored in verify_runs.tables and printed by --json.
std::string table_json(const TableResult& t, bool with_listed);
// A JSON string literal (quotes included).
std::string json_string(std::string_view s);

}  // namespace dualwrite::verify
