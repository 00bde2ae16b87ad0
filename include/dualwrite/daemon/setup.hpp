// What `dualwrite run` does before it streams: make sure the publication, the slot and the
// replication origin are there, and refuse to create a slot when doing so would lose data
// silently.
//
// For: the start-up decision, as a state machine over what exists (the slot on the source; on
// the target the origin's progress and the bootstrap record of the slot):
//   bootstrap of the slot unfinished  -> refuse (exit 2): `dualwrite bootstrap` resumes it
//   slot exists, wal_status lost      -> refuse (exit 6): WAL it needed is gone
//   slot exists                       -> stream from the origin (nothing to decide)
//   slot missing, progress recorded   -> the slot was dropped after the bridge applied up to X
//     (the origin's progress, or else the consistent point of the slot's finished bootstrap):
//       without --accept-gap-from     -> refuse (exit 6), nothing changed: what was committed
//                                        after X is in no slot any more
//       --accept-gap-from other than X -> refuse (exit 2), nothing changed
//       --accept-gap-from X           -> create the slot at C, record the gap [X, C] in
//                                        dualwrite.stream_gaps and move the origin to C in one
//                                        target transaction, log it at warn
//   slot missing, no progress (a fresh bridge):
//       a legacy table the role cannot see into (row-level security without its policy)
//                                     -> refuse (exit 4), nothing created: it would read empty
//       legacy tables hold rows, no bootstrap recorded:
//         without --skip-backfill     -> refuse (exit 2), nothing created: `dualwrite bootstrap`
//         --skip-backfill             -> create the slot at C, record "rows before C not
//                                        copied", log it at warn
//       otherwise                     -> create the slot at C, origin at C
// The origin is only ever moved forward to a slot created here, and never without a record
// when that skips progress. If recording fails after the slot was created, the slot is dropped
// again so the next start finds the same state.
// Not for: streaming (daemon/runner), or bootstrapping (backfill/).
// Where the SQL lives: sql/daemon/ (cmake/embed_sql.cmake); what it reads of the bridge's state
// through admin/.
// Thread-safety: plain functions; call before the pipeline starts.
#pragma once

#include <optional>

#include "dualwrite/config/config.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::daemon {

// The operator's explicit decisions, from `run`'s command line. Both only matter when `run`
// would create the slot; otherwise they are ignored (with a log line), so a flag left in a unit
// drop-in does nothing the next time: --accept-gap-from names the one position it accepts.
struct SetupOptions {
  // --accept-gap-from LSN: the slot was dropped; accept losing what was committed after LSN,
  // which must be the position the refusal printed (the origin's).
  std::optional<Lsn> accept_gap_from;
  // --skip-backfill: a fresh bridge on populated legacy tables streams from now, leaving the
  // existing rows uncopied.
  bool skip_backfill = false;
};

// Creates the publication (when missing and the role may), then decides about the slot as the
// state machine above says. Errors carry the exit code's domain and one line for the operator.
Status ensure_replication_setup(const config::Config& config, const SetupOptions& options = {});

}  // namespace dualwrite::daemon
