#include "dualwrite/stream/replication.hpp"

#include <gtest/gtest.h>

#include "dualwrite/stream/driver.hpp"

namespace dualwrite::stream {
namespace {

TEST(ClassifyServerError, MissingAndInvalidatedSlotsAreSlotLost) {
  EXPECT_EQ(classify_server_error("42704", "replication slot \"s\" does not exist"),
            ErrorDomain::slot_lost);
  EXPECT_EQ(classify_server_error("55000", "can no longer get changes from replication slot \"s\""),
            ErrorDomain::slot_lost);
}

TEST(ClassifyServerError, EverythingElseIsRetriedAsSource) {
  EXPECT_EQ(classify_server_error("42704", "type \"foo\" does not exist"), ErrorDomain::source);
  EXPECT_EQ(classify_server_error("55006", "replication slot \"s\" is active for PID 42"),
            ErrorDomain::source);
  EXPECT_EQ(classify_server_error("57P01", "terminating connection due to administrator command"),
            ErrorDomain::source);
  EXPECT_EQ(classify_server_error("", "server closed the connection unexpectedly"),
            ErrorDomain::source);
}

TEST(ParseGucDuration, UnitsAsShowPrintsThem) {
  using std::chrono::milliseconds;
  EXPECT_EQ(*parse_guc_duration("0"), milliseconds(0));
  EXPECT_EQ(*parse_guc_duration("500ms"), milliseconds(500));
  EXPECT_EQ(*parse_guc_duration("2s"), milliseconds(2000));
  EXPECT_EQ(*parse_guc_duration("1min"), milliseconds(60'000));
  EXPECT_EQ(*parse_guc_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(*parse_guc_duration("1d"), milliseconds(86'400'000));
  EXPECT_EQ(*parse_guc_duration("1500"), milliseconds(1500));
  EXPECT_FALSE(parse_guc_duration("").ok());
  EXPECT_FALSE(parse_guc_duration("s").ok());
  EXPECT_FALSE(parse_guc_duration("5 fortnights").ok());
  EXPECT_FALSE(parse_guc_duration("-1s").ok());
}

}  // namespace
}  // namespace dualwrite::stream

namespace dualwrite::stream {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}
void put64(std::vector<std::byte>& b, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
}

TEST(TransactionCommitOf, BeginAndStreamCommitCarryTheCommit) {
  auto begin = bytes({'B'});
  put64(begin, 0x16B3748);
  put64(begin, 123456789);
  for (int i = 0; i < 4; ++i) begin.push_back(std::byte{0});
  const auto b = transaction_commit_of(begin);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->commit_lsn, Lsn(0x16B3748));
  EXPECT_EQ(b->commit_time, 123456789);

  auto commit = bytes({'c', 0, 0, 0, 7, 0});
  put64(commit, 0x2000);  // commit_lsn
  put64(commit, 0x2030);  // end_lsn
  put64(commit, 42);      // commit time
  const auto c = transaction_commit_of(commit);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->commit_lsn, Lsn(0x2000));
  EXPECT_EQ(c->commit_time, 42);

  EXPECT_FALSE(transaction_commit_of(bytes({'I', 0, 0})));
  EXPECT_FALSE(transaction_commit_of(bytes({'B', 1, 2})));  // short: the consumer reports it
  EXPECT_FALSE(transaction_commit_of({}));
}

}  // namespace
}  // namespace dualwrite::stream

#include "dualwrite/pg/session.hpp"

namespace dualwrite::pg {
namespace {

// Which failures to connect the daemon waits out at start-up (and which end it at once).
TEST(TransientConnectFailure, ADatabaseThatIsDownIsWaitedFor) {
  EXPECT_TRUE(transient_connect_failure(
      "source: cannot connect: connection to server at \"127.0.0.1\", port 5999 failed: "
      "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
      "connections?"));
  EXPECT_TRUE(transient_connect_failure(
      "replication connection failed: connection to server on socket \"/tmp/x/.s.PGSQL.5432\" "
      "failed: No such file or directory"));
  EXPECT_TRUE(
      transient_connect_failure("target: cannot connect: FATAL:  the database system is "
                                "starting up"));
  EXPECT_TRUE(transient_connect_failure(
      "target: cannot connect: timed out after 10 s (connect_timeout): the server accepted no "
      "connection or did not answer"));
}

TEST(TransientConnectFailure, WhatAPersonMustFixIsNot) {
  EXPECT_FALSE(transient_connect_failure(
      "source: cannot connect: connection to server failed: FATAL:  password authentication "
      "failed for user \"dualwrite\""));
  EXPECT_FALSE(transient_connect_failure(
      "target: cannot connect: connection to server failed: FATAL:  database \"nope\" does not "
      "exist"));
  EXPECT_FALSE(transient_connect_failure("cannot connect: FATAL:  no pg_hba.conf entry for host"));
  EXPECT_FALSE(transient_connect_failure("source: permission denied for table activities"));
  EXPECT_FALSE(transient_connect_failure("the bootstrap of slot s has not finished"));
}

}  // namespace
}  // namespace dualwrite::pg
