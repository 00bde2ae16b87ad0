// JSON rendering (escaping, relation-resolved tuples, LSN and timestamp forms) and hex parsing.
#include "dualwrite/decode/json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dualwrite/decode/hex.hpp"
#include "pgoutput_encoder.hpp"

namespace dualwrite::decode {
namespace {

using testing::null_value;
using testing::text;
using testing::unchanged_toast;

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(s, out);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string(""), R"("")");
  EXPECT_EQ(json_string("plain"), R"("plain")");
  EXPECT_EQ(json_string("say \"hi\"\\"), R"("say \"hi\"\\")");
  EXPECT_EQ(json_string("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(json_string(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
}

TEST(JsonString, PassesValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_string("Zoë 東京 🚀"), "\"Zoë 東京 🚀\"");
  EXPECT_EQ(json_string("a\xff"
                        "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");                                                    // not a lead byte
  EXPECT_EQ(json_string("\xC3"), "\"\xEF\xBF\xBD\"");                  // cut sequence
  EXPECT_EQ(json_string("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(json_string("\xF4\x90\x80\x80").size(), 2u + 4 * 3);       // above U+10FFFF
  EXPECT_EQ(json_string("\xF0\x9F\x9A\x80"), "\"\xF0\x9F\x9A\x80\"");  // U+1F680
}

Relation likes() {
  return Relation{
      std::nullopt,
      16489,
      "public",
      "offline_likes",
      ReplicaIdentity::default_,
      {{1, "user_id", 2950, -1}, {1, "activity_slug", 25, -1}, {0, "payload", 3802, -1}}};
}

TEST(Json, RendersEveryFieldOfControlMessages) {
  RelationMap none;
  EXPECT_EQ(
      to_json(Begin{Lsn{0x16B374D848}, PgTimestamp{0}, 761}, none),
      R"({"tag":"begin","final_lsn":"16/B374D848","commit_time":"2000-01-01T00:00:00.000000Z","xid":761})");
  EXPECT_EQ(
      to_json(Commit{0, Lsn{1}, Lsn{0x100000000}, PgTimestamp{-1}}, none),
      R"({"tag":"commit","flags":0,"commit_lsn":"0/1","end_lsn":"1/0","commit_time":"1999-12-31T23:59:59.999999Z"})");
  EXPECT_EQ(to_json(Origin{Lsn{0xABCDEF}, "o\"1"}, none),
            R"({"tag":"origin","commit_lsn":"0/ABCDEF","name":"o\"1"})");
  EXPECT_EQ(to_json(StreamStart{772, true}, none),
            R"({"tag":"stream_start","xid":772,"first_segment":true})");
  EXPECT_EQ(to_json(StreamStop{}, none), R"({"tag":"stream_stop"})");
  EXPECT_EQ(to_json(StreamAbort{773, 774}, none),
            R"({"tag":"stream_abort","xid":773,"subxid":774})");
  EXPECT_EQ(
      to_json(LogicalMessage{9, 1, Lsn{2}, "p", std::string_view("a\0", 2)}, none),
      R"({"tag":"logical_message","xid":9,"flags":1,"transactional":true,"lsn":"0/2","prefix":"p","content":"a\u0000"})");
  EXPECT_EQ(to_json(Type{std::nullopt, 17750, "public", "mood"}, none),
            R"({"tag":"type","type_oid":17750,"namespace":"public","type_name":"mood"})");
  EXPECT_EQ(
      to_json(likes(), none),
      R"({"tag":"relation","relation_id":16489,"namespace":"public","relation_name":"offline_likes","replica_identity":"d","columns":[{"name":"user_id","flags":1,"type_oid":2950,"type_modifier":-1},{"name":"activity_slug","flags":1,"type_oid":25,"type_modifier":-1},{"name":"payload","flags":0,"type_oid":3802,"type_modifier":-1}]})");
}

TEST(Json, NamesColumnsOnceTheRelationIsKnown) {
  const Message update = Update{std::nullopt, 16489, OldTupleKind::key,
                                TupleData{{text("u1"), text("old"), null_value()}},
                                TupleData{{text("u1"), text("new"), unchanged_toast()}}};
  RelationMap relations;
  EXPECT_EQ(
      to_json(update, relations),
      R"({"tag":"update","relation_id":16489,"old_kind":"key","old_tuple":["u1","old",null],"new_tuple":["u1","new",{"unchanged_toast":true}]})");
  relations.observe(Message{likes()});
  EXPECT_EQ(relations.size(), 1u);
  EXPECT_EQ(
      to_json(update, relations),
      R"({"tag":"update","relation_id":16489,"namespace":"public","relation_name":"offline_likes","old_kind":"key","old_tuple":{"user_id":"u1","activity_slug":"old","payload":null},"new_tuple":{"user_id":"u1","activity_slug":"new","payload":{"unchanged_toast":true}}})");
  EXPECT_EQ(
      to_json(Delete{5, 16489, OldTupleKind::key, TupleData{{text("u1"), text("s"), null_value()}}},
              relations),
      R"({"tag":"delete","xid":5,"relation_id":16489,"namespace":"public","relation_name":"offline_likes","old_kind":"key","old_tuple":{"user_id":"u1","activity_slug":"s","payload":null}})");
  // A tuple whose width does not match the known relation falls back to an array.
  EXPECT_EQ(
      to_json(Insert{std::nullopt, 16489,
                     TupleData{{TupleValue{TupleValue::Kind::binary, "\x01\xab"}}}},
              relations),
      R"({"tag":"insert","relation_id":16489,"namespace":"public","relation_name":"offline_likes","new_tuple":[{"binary":"01ab"}]})");
  EXPECT_EQ(
      to_json(Truncate{std::nullopt, 1, {16489, 7}}, relations),
      R"({"tag":"truncate","options":1,"cascade":true,"restart_identity":false,"relation_ids":[16489,7],"relations":["public.offline_likes",null]})");
}

TEST(Hex, ParsesByteaTextForms) {
  std::vector<std::byte> out;
  ASSERT_TRUE(parse_hex("\\x42c0FF", out));
  EXPECT_EQ(out, (std::vector<std::byte>{std::byte{0x42}, std::byte{0xC0}, std::byte{0xFF}}));
  ASSERT_TRUE(parse_hex("  4245\r", out));
  EXPECT_EQ(out.size(), 2u);
  ASSERT_TRUE(parse_hex("\\x", out));
  EXPECT_TRUE(out.empty());

  auto odd = parse_hex("\\x424", out);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().message, "odd number of hex digits (3) ending at character 5");
  auto bad = parse_hex("\\x42g0", out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid hex digit 'g' at character 5");
  EXPECT_EQ(bad.error().domain, ErrorDomain::decode);
}

}  // namespace
}  // namespace dualwrite::decode
