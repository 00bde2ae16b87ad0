// The backfill's plan: which target tables it fills, in which order, from which set-based SQL,
// cut into which key ranges.
//
// For: `dualwrite bootstrap`. Every step reads mapping.md's expected state (the views of schema
// dualwrite_expected, migration 20261125001500) inside the slot's exported snapshot; the steps
// run in foreign-key order; a step whose reader query can restrict a key the legacy tables
// index (or scan cheaply) is cut into chunks, each written and recorded in one target
// transaction, so that an interrupted backfill resumes at the first unfinished chunk.
// Pure: no database here; the runner (backfill.hpp) executes the plan.
// Not for: deciding what a legacy row becomes (the views and translate/ do that).
// Where the SQL lives: sql/backfill/ (cmake/embed_sql.cmake), the plan's and the runner's alike;
// a reader is a template whose :range the chunk's condition fills (with_range), and one reader
// serves every copy step, its view named by :"view" (core/sql_template.hpp).
// Thread-safety: steps() is built once, thread-safely; the rest are plain functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dualwrite::backfill {

enum class StepKind {
  copy,          // COPY (reader query) → COPY target table
  interactions,  // activity_feedback: plain types copied, likes/bookmarks merged (see runner)
  outcomes,      // item outcomes computed in one pass, then set on the copied items
  letters,       // legacy rows the views leave out, applied through the stream's Applier
};

enum class KeyKind { none, uuid, bigint };

struct Step {
  std::string name;  // the target table, or "<what>:<legacy table>"
  StepKind kind = StepKind::copy;
  KeyKind key = KeyKind::none;
  std::string source_table;          // the legacy table whose size drives chunking and the ETA
  double rows_per_source_row = 1.0;  // e.g. items per suggestion, for the ETA and chunk sizes
  std::string key_column;            // the column the chunk predicate restricts (in `reader`)
  // The SELECT that reads the step's rows in the snapshot; for copy steps with ":range" where
  // the chunk predicate goes. Empty for the interactions step, which reads
  // sql/backfill/feedback_*.sql (the runner picks by how likes are merged).
  std::string reader;
  std::string target;  // the table COPY writes into (copy and interactions)
  // Read with nested loops off: for a view whose filters the planner misestimates by orders of
  // magnitude (jsonb_typeof(...) = 'object' counts as 0.5 %), so that it would probe a hash per
  // row; hash joins cost one pass whatever the estimate.
  bool hash_joins_only = false;
};

// Every step, in the order they run.
const std::vector<Step>& steps();
// A step an earlier version planned and this one no longer runs: a bootstrap planned then is
// resumed with it marked done.
bool is_retired_step(std::string_view name);

struct Chunk {
  int number = 0;
  std::optional<std::string> lo;  // inclusive; nullopt: unbounded
  std::optional<std::string> hi;  // exclusive; nullopt: unbounded
};

// `count` equal ranges of the uuid space (leading 32 bits), first and last unbounded. count is
// clamped to 1..4096.
std::vector<Chunk> uuid_chunks(std::uint64_t count);
// Ranges of `chunk_rows` ids over [min, max], first and last unbounded (so rows inserted after
// planning with higher ids still belong to the last chunk).
std::vector<Chunk> bigint_chunks(std::int64_t min, std::int64_t max, std::uint64_t chunk_rows);
// How many chunks a step of `estimated_rows` target rows gets at `chunk_rows` rows per chunk.
std::uint64_t chunk_count(std::uint64_t estimated_rows, std::uint64_t chunk_rows);

// The SQL condition selecting `chunk` of `column` ("true" when unbounded on both sides).
std::string range_predicate(const std::string& column, KeyKind key, const Chunk& chunk);
// `reader` with its :range psql variable replaced by `(predicate)`.
std::string with_range(std::string_view reader, const std::string& predicate);

// What copy_rows_staged (backfill.cpp) runs for `target` ("schema.table"): COPY writes into
// `table`, a temporary copy of the target's columns that `create` makes (emptied at each commit),
// then `insert` moves its rows into the target (tolerant: leaving out what collides with a row
// already there). From sql/backfill/stage_*.sql.
struct Staging {
  std::string table;  // dw_stage_<target's table>, unquoted
  std::string create;
  std::string insert;
};
Staging staging(const std::string& target, bool tolerant);

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n);

// One progress line: "accounts: 12,000 of ~15,000 rows (80%), 9,500 rows/s, ETA 1 s".
// `estimated_total` 0: unknown (no percentage or ETA).
std::string progress_line(const std::string& step, std::uint64_t rows,
                          std::uint64_t estimated_total, std::chrono::duration<double> elapsed,
                          bool done);

}  // namespace dualwrite::backfill
