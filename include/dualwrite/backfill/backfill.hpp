// `dualwrite bootstrap` (Phase 1): starts the bridge on a populated database.
//
// For: creating the publication, the slot (with an exported snapshot) and the replication
// origin, backfilling every new table inside that snapshot (plan.hpp), and setting the origin to
// the slot's consistent point, so that `dualwrite run` streams exactly what the snapshot did
// not see: no gap, no double apply.
//
// How rows move: a reader connection imports the snapshot (REPEATABLE READ, SET TRANSACTION
// SNAPSHOT) and runs `COPY (SELECT … FROM dualwrite_expected.<view> WHERE <chunk>) TO STDOUT`
// in binary; a writer connection, in its own transaction per chunk, takes the bytes with `COPY
// … FROM STDIN`, runs the chunk's set-based SQL and marks the chunk done in
// dualwrite.bootstrap_chunks before committing. The writer does not read in the snapshot on
// purpose: its foreign keys and the like/bookmark merge must see the chunks committed before.
// Legacy rows the views leave out (the ones the stream dead-letters) go through the stream's own
// Translator and Applier, so their dead letters are the stream's, reason and detail.
//
// Resuming: the plan and each chunk's completion live in the target. After an interruption
// (kill -9 included) the same command continues with the first unfinished chunk. The exported
// snapshot died with the interrupted process, so the remaining chunks are read from a fresh one
// (a temporary slot's); streaming still starts at the first consistent point and re-applies what
// changed in between, which the apply's upserts, merges and recomputed outcomes make idempotent.
// Not for: streaming (daemon/), or comparing (verify/).
// Where the SQL lives: sql/backfill/ (cmake/embed_sql.cmake; plan.hpp says how its templates
// are filled); backfill.cpp keeps one-line statements only: transaction control, the snapshot,
// the letters' cursor, the COPY commands around a reader, emptying a staging table, and calls of
// the slot and origin functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "dualwrite/config/config.hpp"

namespace dualwrite::backfill {

struct BootstrapOptions {
  bool reuse_slot = false;            // adopt an existing slot instead of refusing
  std::uint64_t chunk_rows = 50'000;  // target rows per chunk (estimated)
  std::chrono::milliseconds progress_interval{5'000};
  std::function<void(const std::string&)> print;  // one line of progress or outcome
};

// Runs (or resumes) the bootstrap. Returns the process exit code; every failure is one line
// through `print` … prefixed "error: ". Never throws for database or configuration problems.
int bootstrap(const config::Config& config, const BootstrapOptions& options);

}  // namespace dualwrite::backfill
