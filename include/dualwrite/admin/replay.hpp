// `dualwrite replay`: re-applying a range of source transactions that the slot still holds.
//
// For: running the transactions whose commit ends (end_lsn, what the replication origin
// records) in [from, to] through the normal Applier again, on the configured target or on
// another database (a rehearsal). The Applier runs without a replication origin: nothing is
// skipped as already applied and the bridge's recorded progress does not move, so the daemon
// resumes exactly where it stopped. A replay is idempotent because the apply is: upserts and
// merges write the same rows again, and dead letters are de-duplicated by source position (the
// dead_letters_by_lsn migration). Replaying up to the applied position re-derives every row the
// range touched from its latest change; a range that stops earlier sets those rows back to their
// state at `to` until the rest is replayed or streamed again.
//
// Two reads of the slot: the first, aggregated on the server, finds which transactions end in
// the range (a Begin only carries the commit's start, and the range is defined by its end); the
// second applies them. A batch the target rejects is applied again change by change (careful
// mode), as the daemon does; a change that still fails becomes an apply_error dead letter.
// Not for: deciding whether the daemon is running (check_idle_slot) or asking the user.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <optional>

#include "dualwrite/admin/slot_reader.hpp"
#include "dualwrite/apply/applier.hpp"

namespace dualwrite::admin {

struct ReplayRequest {
  Lsn from;
  std::optional<Lsn> to;   // default: the applied position
  bool rehearsal = false;  // the apply goes to another database than the configured target
};

struct ReplayRange {
  Lsn from;
  Lsn to;
};

// Pure: checks a request against the slot and the bridge's applied position. Refusals are usage
// errors of one line: `from` older than what the slot holds (names the oldest position and
// [progress] replay_window), `to` before `from`, and on the configured target a `to` past the
// applied position (what follows is the daemon's to apply; a rehearsal may go there).
Result<ReplayRange> check_replay_range(const ReplayRequest& request, Lsn oldest_held, Lsn applied);

struct ReplayLimits {
  std::uint64_t batch_max_changes = 20000;
  std::uint64_t batch_max_bytes = std::uint64_t{16} << 20;
};

struct ReplayReport {
  std::uint64_t transactions = 0;
  std::uint64_t changes = 0;
  std::uint64_t rows_written = 0;      // target row writes sent (ops)
  std::uint64_t dead_letters = 0;      // changes that became dead letters in this replay
  std::uint64_t new_dead_letters = 0;  // of those, letters not recorded before
  std::uint64_t careful_batches = 0;   // batches the target rejected, applied again carefully
  std::uint64_t target_transactions = 0;
  Lsn first_end, last_end;
};

// Applies the transactions of `span` (from transactions_ending_in over `range`) to the database
// of `apply_options` (its origin is ignored: a replay runs without one). Errors: source (or an
// active slot), decode, translate, target.
Result<ReplayReport> replay(apply::Connection& source, const SlotReaderOptions& slot,
                            const ReplayRange& range, const TransactionSpan& span,
                            apply::ApplyOptions apply_options, const ReplayLimits& limits);

}  // namespace dualwrite::admin
