// Round trips through the test encoder: every message kind, outside and inside a streamed block,
// decodes back to what was encoded; decode_into reuses storage without leaking old values; the
// Decoder tracks streamed blocks across messages and refuses impossible sequences.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dualwrite/decode/pgoutput.hpp"
#include "pgoutput_encoder.hpp"

namespace dualwrite::decode {
namespace {

using testing::encode;
using testing::null_value;
using testing::text;
using testing::unchanged_toast;

const PgTimestamp kTime{817'000'000'123'456};

Relation sample_relation(std::optional<TransactionId> xid) {
  Relation r;
  r.xid = xid;
  r.relation_id = 16414;
  r.namespace_name = "public";
  r.relation_name = "user_attributes";
  r.replica_identity = ReplicaIdentity::default_;
  r.columns = {{1, "user_id", 2950, -1}, {0, "display_name", 25, -1}, {0, "score", 1700, 393223}};
  return r;
}

// Every kind of message; the xid of the kinds that carry one in a streamed block is set iff
// `xid` is.
std::vector<Message> samples(std::optional<TransactionId> xid) {
  static const std::string big(70'000, 'x');
  std::vector<Message> out;
  if (!xid) {
    out.push_back(Begin{Lsn{0x16B374D848}, kTime, 761});
    out.push_back(Commit{0, Lsn{0x16B374D848}, Lsn{0x16B374D878}, kTime});
    out.push_back(Origin{Lsn{0xABCDEF}, "dw_fixture_origin"});
    out.push_back(StreamStart{4'000'000'000u, true});
    out.push_back(StreamStart{5, false});
    out.push_back(StreamStop{});
    out.push_back(StreamCommit{773, 0, Lsn{1}, Lsn{2}, PgTimestamp{-5}});
    out.push_back(StreamAbort{773, 774});
  }
  out.push_back(sample_relation(xid));
  Relation empty_relation;
  empty_relation.xid = xid;
  empty_relation.relation_id = 1;
  empty_relation.replica_identity = ReplicaIdentity::full;
  out.push_back(empty_relation);
  out.push_back(Type{xid, 17750, "public", "decode_fixture_mood"});
  out.push_back(Insert{
      xid, 16414,
      TupleData{{text("00000000-0000-0000-0000-0000000000a1"), text("Zoë 東京 🚀"), null_value()}}});
  out.push_back(Insert{xid, 16414, TupleData{{text(big), text(""), null_value()}}});
  out.push_back(Insert{xid, 16414, TupleData{}});
  out.push_back(Update{xid, 16451, OldTupleKind::none, TupleData{},
                       TupleData{{text("a"), unchanged_toast(), text("failed")}}});
  out.push_back(Update{xid, 16489, OldTupleKind::key, TupleData{{text("k"), null_value()}},
                       TupleData{{text("k2"), text("v")}}});
  out.push_back(Update{xid, 16489, OldTupleKind::old, TupleData{{text("k"), text("old")}},
                       TupleData{{text("k"), text("new")}}});
  out.push_back(
      Update{xid, 16489, OldTupleKind::none, TupleData{},
             TupleData{{TupleValue{TupleValue::Kind::binary, std::string_view("\0\1", 2)}}}});
  out.push_back(Delete{xid, 16489, OldTupleKind::key, TupleData{{text("k"), null_value()}}});
  out.push_back(Delete{xid, 16489, OldTupleKind::old, TupleData{{text("k"), text("v")}}});
  out.push_back(Truncate{xid, 0, {16535}});
  out.push_back(Truncate{xid, 3, {16428, 16535, 4'000'000'000u}});
  out.push_back(Truncate{xid, 1, {}});
  out.push_back(LogicalMessage{xid, 1, Lsn{0x21824B8}, "dualwrite", "transactional ✓"});
  out.push_back(LogicalMessage{xid, 0, Lsn{0x2182538}, "", std::string_view("a\0b", 3)});
  return out;
}

TEST(DecodeRoundTrip, EveryKindOutsideAStreamedBlock) {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const auto& m : samples(std::nullopt)) {
    const std::string bytes = encode(m);
    auto decoded = decode(as_bytes(bytes));
    ASSERT_TRUE(decoded) << name_of(m) << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, m) << name_of(m);
    EXPECT_EQ(tag_of(*decoded), bytes[0]);
    seen[m.index()] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "kind " << i << " untested";
}

TEST(DecodeRoundTrip, EveryKindInsideAStreamedBlockCarriesTheXid) {
  for (const auto& m : samples(TransactionId{774})) {
    const std::string bytes = encode(m);
    auto decoded = decode(as_bytes(bytes), DecodeContext{true});
    ASSERT_TRUE(decoded) << name_of(m) << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, m) << name_of(m);
  }
}

TEST(DecodeRoundTrip, ValuesViewTheInputBuffer) {
  const Message m = Insert{std::nullopt, 7, TupleData{{text("hello")}}};
  const std::string bytes = encode(m);
  auto decoded = decode(as_bytes(bytes));
  ASSERT_TRUE(decoded);
  const auto& value = std::get<Insert>(*decoded).new_tuple.columns.at(0).data;
  EXPECT_EQ(value, "hello");
  EXPECT_GE(value.data(), bytes.data());
  EXPECT_LE(value.data() + value.size(), bytes.data() + bytes.size());
}

TEST(DecodeRoundTrip, DecodeIntoReusesStorageWithoutStaleValues) {
  const std::string wide =
      encode(Insert{std::nullopt, 1, TupleData{{text("a"), text("b"), text("c")}}});
  const std::string narrow = encode(Insert{std::nullopt, 2, TupleData{{text("z")}}});
  const std::string with_old = encode(
      Update{std::nullopt, 3, OldTupleKind::key, TupleData{{text("k")}}, TupleData{{text("n")}}});
  const std::string without_old =
      encode(Update{std::nullopt, 4, OldTupleKind::none, TupleData{}, TupleData{{text("m")}}});
  Message out;
  ASSERT_TRUE(decode_into(as_bytes(wide), {}, out));
  const auto* first_columns = std::get<Insert>(out).new_tuple.columns.data();
  ASSERT_TRUE(decode_into(as_bytes(narrow), {}, out));
  const auto& insert = std::get<Insert>(out);
  EXPECT_EQ(insert.relation_id, 2u);
  ASSERT_EQ(insert.new_tuple.columns.size(), 1u);
  EXPECT_EQ(insert.new_tuple.columns[0].data, "z");
  EXPECT_EQ(insert.new_tuple.columns.data(), first_columns) << "capacity was not reused";

  ASSERT_TRUE(decode_into(as_bytes(with_old), {}, out));
  ASSERT_TRUE(decode_into(as_bytes(without_old), {}, out));
  const auto& update = std::get<Update>(out);
  EXPECT_EQ(update.old_kind, OldTupleKind::none);
  EXPECT_TRUE(update.old_tuple.columns.empty());
  EXPECT_EQ(update.relation_id, 4u);

  // A streamed Relation reused for a non-streamed one must drop its xid.
  ASSERT_TRUE(decode_into(as_bytes(encode(sample_relation(9))), DecodeContext{true}, out));
  ASSERT_TRUE(decode_into(as_bytes(encode(sample_relation(std::nullopt))), {}, out));
  EXPECT_EQ(out, Message{sample_relation(std::nullopt)});
}

TEST(DecoderState, TracksStreamedBlocks) {
  Decoder d;
  const std::string start = encode(StreamStart{772, true});
  const std::string stop = encode(StreamStop{});
  const std::string streamed_insert = encode(Insert{772, 5, TupleData{{text("v")}}});
  const std::string plain_insert = encode(Insert{std::nullopt, 5, TupleData{{text("v")}}});

  EXPECT_FALSE(d.in_streamed_block());
  ASSERT_TRUE(d.decode(as_bytes(plain_insert)));
  ASSERT_TRUE(d.decode(as_bytes(start)));
  EXPECT_TRUE(d.in_streamed_block());
  EXPECT_EQ(d.stream_xid(), 772u);
  auto in_block = d.decode(as_bytes(streamed_insert));
  ASSERT_TRUE(in_block) << in_block.error().message;
  EXPECT_EQ(std::get<Insert>(*in_block).xid, 772u);
  ASSERT_TRUE(d.decode(as_bytes(stop)));
  EXPECT_FALSE(d.in_streamed_block());
  EXPECT_EQ(d.stream_xid(), std::nullopt);
  ASSERT_TRUE(d.decode(as_bytes(encode(StreamCommit{772, 0, Lsn{1}, Lsn{2}, kTime}))));
}

TEST(DecoderState, RefusesImpossibleSequences) {
  const std::string start = encode(StreamStart{772, true});
  {
    Decoder d;
    auto r = d.decode(as_bytes(encode(StreamStop{})));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "stream stop outside a streamed block");
  }
  {
    Decoder d;
    ASSERT_TRUE(d.decode(as_bytes(start)));
    auto r = d.decode(as_bytes(encode(StreamStart{900, false})));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "stream start for xid 900 while the streamed block of xid 772 is still open");
    EXPECT_EQ(d.stream_xid(), 772u) << "a refused message must not change the state";
    for (const Message& m :
         {Message{Begin{Lsn{1}, kTime, 1}}, Message{Commit{0, Lsn{1}, Lsn{2}, kTime}},
          Message{StreamCommit{772, 0, Lsn{1}, Lsn{2}, kTime}}, Message{StreamAbort{772, 772}}}) {
      auto inside = d.decode(as_bytes(encode(m)));
      ASSERT_FALSE(inside) << name_of(m);
      std::string label = name_of(m);
      std::replace(label.begin(), label.end(), '_', ' ');
      EXPECT_EQ(inside.error().message, label + " message inside the streamed block of xid 772");
    }
    // A malformed message leaves the block open.
    EXPECT_FALSE(d.decode(as_bytes(std::string("E\x01", 2))));
    EXPECT_TRUE(d.in_streamed_block());
    EXPECT_EQ(d.decode(as_bytes(std::string("E"))).ok(), true);
    EXPECT_FALSE(d.in_streamed_block());
  }
}

TEST(PgTimestamp, ConvertsFromThePostgresEpoch) {
  EXPECT_EQ(PgTimestamp{0}.to_iso8601(), "2000-01-01T00:00:00.000000Z");
  EXPECT_EQ(PgTimestamp{-1}.to_iso8601(), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(PgTimestamp{817'405'200'000'001}.to_iso8601(), "2025-11-25T17:00:00.000001Z");
  EXPECT_EQ(PgTimestamp{INT64_MAX}.to_iso8601(), "infinity");
  EXPECT_EQ(PgTimestamp{INT64_MIN}.to_iso8601(), "-infinity");
  EXPECT_EQ(PgTimestamp{252'455'616'000'000'000}.to_iso8601(), "pg-timestamp(252455616000000000)");
  EXPECT_EQ(PgTimestamp{252'455'615'999'999'999}.to_iso8601(), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(PgTimestamp{-63'082'281'600'000'000}.to_iso8601(), "0001-01-01T00:00:00.000000Z");

  const PgTimestamp t{817'405'200'000'001};
  EXPECT_EQ(t.to_sys_time().time_since_epoch().count(), 1'764'090'000'000'001);
  EXPECT_EQ(PgTimestamp::from_sys_time(t.to_sys_time()), t);
  EXPECT_EQ(PgTimestamp{INT64_MAX}.to_sys_time().time_since_epoch().count(), INT64_MAX);
}

}  // namespace
}  // namespace dualwrite::decode
