// Prints what /metrics would serve, with every optional series present (slot limits, verify
// results, histogram observations), for the shell tests of dashboards/ and promtool.
#include <chrono>
#include <iostream>

#include "dualwrite/ops/metrics.hpp"

int main() {
  using namespace dualwrite;
  ops::Metrics metrics("0.0.0-test");
  apply::ApplyStats apply;
  apply.changes[0][0] = 3;
  apply.rows_written[0] = 3;
  apply.source_transactions = 2;
  stream::StreamStats stream;
  stream.connected = true;
  progress::ProgressTracker::Snapshot snap;
  snap.positions.server_wal_end = Lsn(0x3000000);
  snap.positions.received = Lsn(0x2000000);
  snap.positions.durable = Lsn(0x1000000);
  snap.confirmed = Lsn(0x1000000);
  metrics.refresh(apply, stream, snap);
  metrics.set_lag(1 << 20, 2.5);
  metrics.set_connection("target_apply", true);
  metrics.set_target_wait(0);
  metrics.set_stalled(0);
  metrics.observe_apply(0.02);
  metrics.observe_commit_to_apply(0.3);
  metrics.set_slot(ops::SlotState{"reserved", 1 << 30, 1 << 24});
  metrics.set_verify_mismatches("account_linkages", 0);
  std::cout << metrics.exposition();
  return 0;
}
