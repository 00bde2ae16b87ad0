// Test harness: the translate + apply half of the bridge, fed from a real logical slot.
//
// For: integration tests of the mapping rules without the replication connection: changes are
// read with pg_logical_slot_peek_binary_changes (pgoutput, the same bytes START_REPLICATION
// sends) and go through the real Consumer and Applier into the same database. Each pump()
// continues where the previous one stopped (the origin skips what was applied); replay() runs
// everything again under a second origin to prove idempotency.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/consumer.hpp"
#include "dualwrite/apply/live.hpp"
#include "support/pg_test.hpp"

namespace dualwrite::testing {

// Every row of the twelve target tables as "table: row text", sorted within each table: what
// the tests compare before and after a replay, a restart or a second origin.
std::vector<std::string> target_table_rows(TestDatabase& db);

class Bridge {
 public:
  explicit Bridge(TestDatabase& db, std::string proto_version = "1");

  // Applies every pending change under origin `origin`; one target transaction per source
  // transaction. Returns the number of source transactions applied. A batch the target rejects
  // is applied again in careful mode, as the daemon does.
  int pump(const std::string& origin = "dualwrite");
  // Applies every pending change with target transactions of several source transactions each:
  // after each commit, the next group's size is drawn from [1, max_group] (the daemon's
  // batches). Returns the number of target transactions.
  int pump_grouped(std::uint32_t seed, int max_group, const std::string& origin = "dualwrite");
  // Everything from the slot's start again, under a fresh origin: must change nothing.
  int replay() { return pump("dualwrite_replay_" + std::to_string(++replays_)); }

  apply::ApplyStats& stats() { return stats_; }
  // Statements of at least this many rows go by COPY (ApplyOptions::copy_min_rows).
  void set_copy_min_rows(std::size_t rows) { copy_min_rows_ = rows; }
  // Whether the appliers may run with session_replication_role = replica
  // (ApplyOptions::replica_role), and whether the last one connected did.
  void set_replica_role(bool replica_role) { replica_role_ = replica_role; }
  bool replica_role_seen() const { return replica_role_seen_; }
  // Streamed transactions are applied live (apply/live.hpp) by pump(), the main connection
  // waiting at most `lock_timeout` for a lock while one is; a lock conflict makes the live one
  // give way and the messages are fed again from the start, as the daemon re-streams them.
  void set_live(std::chrono::milliseconds lock_timeout) { live_lock_timeout_ = lock_timeout; }
  // Rows of the target tables (and dead letters, without their timestamps) as text, for
  // before/after comparisons.
  std::vector<std::string> target_snapshot();

 private:
  std::vector<std::vector<std::byte>> peek();

  TestDatabase& db_;
  std::string proto_;
  apply::ApplyStats stats_;
  int replays_ = 0;
  std::size_t copy_min_rows_ = apply::ApplyOptions{}.copy_min_rows;
  bool replica_role_ = apply::ApplyOptions{}.replica_role;
  bool replica_role_seen_ = false;
  std::optional<std::chrono::milliseconds> live_lock_timeout_;
};

}  // namespace dualwrite::testing
