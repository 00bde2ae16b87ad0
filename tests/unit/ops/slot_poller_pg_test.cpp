// SlotPoller against the throwaway server scripts/test starts (DUALWRITE_TEST_CONNINFO): a
// temporary logical slot is polled; a missing one counts a slot_poll error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "dualwrite/ops/slot_poller.hpp"

namespace dualwrite::ops {
namespace {

TEST(SlotPollerPg, PollsARealSlot) {
  const char* conninfo = std::getenv("DUALWRITE_TEST_CONNINFO");
  if (!conninfo) GTEST_SKIP() << "DUALWRITE_TEST_CONNINFO not set (run via scripts/test)";
  auto holder = apply::Connection::open(conninfo);
  const std::string slot = "dw_ops_poll_" + std::to_string(getpid());
  holder.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput', true)", {slot.c_str()});

  Metrics metrics("x");
  SlotPoller poller({conninfo, "", slot, std::chrono::milliseconds(50), {}}, metrics);
  auto state = poller.poll_once();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->wal_status, "reserved");
  ASSERT_TRUE(state->retained_bytes);
  const auto text = metrics.exposition();
  EXPECT_NE(text.find("dualwrite_slot_wal_status{status=\"reserved\"} 1"), std::string::npos);
  EXPECT_NE(text.find("dualwrite_errors_total{stage=\"slot_poll\"} 0"), std::string::npos);

  // The thread polls too, and stops promptly.
  poller.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  poller.stop();

  SlotPoller missing({conninfo, "", slot + "_missing", std::chrono::milliseconds(50), {}}, metrics);
  auto r = missing.poll_once();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().domain, ErrorDomain::slot_lost);
  EXPECT_NE(metrics.exposition().find("dualwrite_errors_total{stage=\"slot_poll\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace dualwrite::ops
