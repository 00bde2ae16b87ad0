#include "dualwrite/stream/framing.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace dualwrite::stream {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

TEST(Framing, ParsesXLogDataFromKnownBytes) {
  auto b = bytes({'w', 0,  0, 0,    0x16, 0xB3, 0x74, 0xD8, 0x48,  // dataStart 16/B374D848
                  0,   0,  0, 0x16, 0xB3, 0x74, 0xD9, 0x00,        // walEnd
                  0,   0,  0, 0,    0,    0,    0x01, 0x02,        // sendTime
                  'B', 'x'});
  auto m = parse_copy_data(b);
  ASSERT_TRUE(m.ok()) << m.error().message;
  const auto& x = std::get<XLogData>(*m);
  EXPECT_EQ(x.data_start.to_string(), "16/B374D848");
  EXPECT_EQ(x.wal_end.to_string(), "16/B374D900");
  EXPECT_EQ(x.send_time, 0x0102);
  ASSERT_EQ(x.payload.size(), 2u);
  EXPECT_EQ(x.payload[0], std::byte{'B'});
}

TEST(Framing, XLogDataRoundTripWithEmptyAndLargePayload) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{100'000}}) {
    const auto h =
        build_xlogdata_header(Lsn{0x1234'5678'9abcULL}, Lsn{0xffff'ffff'ffff'fff0ULL}, -42);
    std::vector<std::byte> frame(h.begin(), h.end());
    frame.resize(frame.size() + n, std::byte{0x5a});
    auto m = parse_copy_data(frame);
    ASSERT_TRUE(m.ok());
    const auto& x = std::get<XLogData>(*m);
    EXPECT_EQ(x.data_start, Lsn{0x1234'5678'9abcULL});
    EXPECT_EQ(x.wal_end, Lsn{0xffff'ffff'ffff'fff0ULL});
    EXPECT_EQ(x.send_time, -42);
    EXPECT_EQ(x.payload.size(), n);
    EXPECT_EQ(x.payload.data(), frame.data() + kXLogDataHeaderSize);  // borrowed, not copied
  }
}

TEST(Framing, KeepaliveRoundTrip) {
  for (bool reply : {false, true}) {
    const auto k =
        build_keepalive({.wal_end = Lsn{77}, .send_time = 123456, .reply_requested = reply});
    auto m = parse_copy_data(k);
    ASSERT_TRUE(m.ok());
    const auto& got = std::get<Keepalive>(*m);
    EXPECT_EQ(got.wal_end, Lsn{77});
    EXPECT_EQ(got.send_time, 123456);
    EXPECT_EQ(got.reply_requested, reply);
  }
}

TEST(Framing, StatusUpdateLayoutAndRoundTrip) {
  const StatusUpdate s{.write = Lsn{0x0102030405060708ULL},
                       .flush = Lsn{2},
                       .apply = Lsn{3},
                       .clock = 4,
                       .reply_requested = true};
  const auto out = build_status_update(s);
  EXPECT_EQ(out[0], std::byte{'r'});
  EXPECT_EQ(out[1], std::byte{0x01});
  EXPECT_EQ(out[8], std::byte{0x08});
  EXPECT_EQ(out[16], std::byte{2});
  EXPECT_EQ(out[24], std::byte{3});
  EXPECT_EQ(out[32], std::byte{4});
  EXPECT_EQ(out[33], std::byte{1});
  auto back = parse_status_update(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->write, s.write);
  EXPECT_EQ(back->flush, s.flush);
  EXPECT_EQ(back->apply, s.apply);
  EXPECT_EQ(back->clock, s.clock);
  EXPECT_TRUE(back->reply_requested);
}

TEST(Framing, PgTimestampEpochIs2000) {
  const auto t2000 = std::chrono::system_clock::time_point(std::chrono::seconds(946'684'800));
  EXPECT_EQ(to_pg_timestamp(t2000), 0);
  EXPECT_EQ(to_pg_timestamp(t2000 + std::chrono::seconds(1)), 1'000'000);
  EXPECT_EQ(from_pg_timestamp(1'000'000), t2000 + std::chrono::seconds(1));
}

TEST(Framing, MalformedFramesNameFieldAndOffset) {
  struct Case {
    std::vector<std::byte> data;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{}, "missing message type byte at offset 0"},
      {bytes({'w', 0, 0}), "XLogData dataStart truncated at offset 1"},
      {bytes({'w', 0, 0, 0, 0, 0, 0, 0, 0, 1}), "XLogData walEnd truncated at offset 9"},
      {bytes({'w', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
       "XLogData sendTime truncated at offset 17"},
      {bytes({'k', 0, 0, 0}), "keepalive truncated"},
      {bytes({'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}),
       "replyRequested is not 0 or 1 at offset 17"},
      {bytes({'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}), "trailing bytes"},
      {bytes({'Z', 1, 2}), "unknown message type 0x5a at offset 0"},
  };
  for (const auto& c : cases) {
    auto m = parse_copy_data(c.data);
    ASSERT_FALSE(m.ok()) << c.expect;
    EXPECT_EQ(m.error().domain, ErrorDomain::source);
    EXPECT_NE(m.error().message.find(c.expect), std::string::npos) << m.error().message;
  }
  EXPECT_FALSE(parse_status_update(bytes({'r', 1})).ok());
}

TEST(Framing, RandomBuffersNeverCrashAndShortOnesFail) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 20'000; ++i) {
    std::vector<std::byte> buf(rng() % 40);
    for (auto& b : buf) b = static_cast<std::byte>(rng() % 256);
    if (!buf.empty() && rng() % 2) buf[0] = static_cast<std::byte>(rng() % 2 ? 'w' : 'k');
    auto m = parse_copy_data(buf);
    if (buf.size() < kKeepaliveSize) {
      EXPECT_FALSE(m.ok());
    }
    if (m.ok() && std::holds_alternative<XLogData>(*m)) {
      EXPECT_EQ(std::get<XLogData>(*m).payload.size(), buf.size() - kXLogDataHeaderSize);
    }
  }
}

}  // namespace
}  // namespace dualwrite::stream
