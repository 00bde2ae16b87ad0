#include "dualwrite/stream/replication.hpp"

#include <gtest/gtest.h>

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
