// Malformed input: every prefix of every real message fails with a "truncated" error naming an
// offset inside the prefix; two messages in one buffer fail on the trailing bytes; specific
// malformations give specific errors; thousands of random and mutated buffers (as Envoy's
// StartupMessageRandomData) never crash and never produce an error without a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "dualwrite/decode/json.hpp"
#include "fixtures.hpp"
#include "pgoutput_encoder.hpp"

namespace dualwrite::decode {
namespace {

using testing::encode;
using testing::Encoder;
using testing::load_fixture;
using testing::text;

std::string error_of(std::string_view bytes, DecodeContext ctx = {}) {
  auto r = decode(as_bytes(bytes), ctx);
  if (r) return "<decoded " + std::string(name_of(*r)) + ">";
  EXPECT_EQ(r.error().domain, ErrorDomain::decode);
  return r.error().message;
}

TEST(DecodeMalformed, EveryPrefixOfEveryFixtureMessageIsTruncated) {
  const std::regex offset_re("offset ([0-9]+)");
  std::size_t checked = 0;
  for (const auto& name : testing::fixture_names()) {
    const auto fixture = load_fixture(name);
    ASSERT_FALSE(fixture.messages.empty());
    for (const auto& m : fixture.messages) {
      const std::span<const std::byte> all(m->bytes);
      for (std::size_t len = 0; len < all.size(); ++len) {
        auto r = decode(all.first(len), m->context);
        ASSERT_FALSE(r) << name << ":" << m->line << " prefix " << len << " decoded";
        const std::string& msg = r.error().message;
        ASSERT_NE(msg.find("truncated at offset"), std::string::npos) << msg;
        std::smatch match;
        ASSERT_TRUE(std::regex_search(msg, match, offset_re)) << msg;
        EXPECT_LE(std::stoul(match[1]), len) << msg;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100'000u);
}

TEST(DecodeMalformed, TwoMessagesInOneBufferAreRefused) {
  for (const auto& name : testing::fixture_names()) {
    const auto fixture = load_fixture(name);
    for (std::size_t i = 0; i + 1 < fixture.messages.size(); ++i) {
      const auto& a = *fixture.messages[i];
      const auto& b = *fixture.messages[i + 1];
      std::vector<std::byte> both = a.bytes;
      both.insert(both.end(), b.bytes.begin(), b.bytes.end());
      auto r = decode(both, a.context);
      ASSERT_FALSE(r) << name << ":" << a.line;
      std::string label = name_of(a.message);
      std::replace(label.begin(), label.end(), '_', ' ');
      if (label == "logical message") label = "logical";
      EXPECT_EQ(r.error().message, label + " message: " + std::to_string(b.bytes.size()) +
                                       " trailing bytes at offset " +
                                       std::to_string(a.bytes.size()) +
                                       " after a complete message");
    }
  }
}

TEST(DecodeMalformed, SpecificErrorsNameTheFieldAndOffset) {
  EXPECT_EQ(error_of(""),
            "empty message: truncated at offset 0 reading tag (need 1 bytes, 0 left)");
  EXPECT_EQ(error_of("Z"), "unknown message tag 'Z' at offset 0");
  EXPECT_EQ(error_of(std::string("\x05", 1)), "unknown message tag 0x05 at offset 0");
  EXPECT_EQ(
      error_of("P"),
      "unsupported two-phase message tag 'P' at offset 0 (protocol version 3 is not supported)");

  std::string commit = encode(Commit{0, Lsn{1}, Lsn{2}, PgTimestamp{3}});
  EXPECT_EQ(error_of(commit.substr(0, 5)),
            "commit message: truncated at offset 2 reading commit_lsn (need 8 bytes, 3 left)");
  EXPECT_EQ(error_of(commit.substr(0, 13)),
            "commit message: truncated at offset 10 reading end_lsn (need 8 bytes, 3 left)");
  commit[1] = 3;
  EXPECT_EQ(error_of(commit), "commit message: unrecognized flags 3 in commit message");

  std::string stream_commit = encode(StreamCommit{7, 0, Lsn{1}, Lsn{2}, PgTimestamp{3}});
  stream_commit[5] = 1;
  EXPECT_EQ(error_of(stream_commit),
            "stream commit message: unrecognized flags 1 in stream commit message");

  EXPECT_EQ(error_of(Encoder{}.u8('S').u32(7).u8(2).bytes()),
            "stream start message: first_segment must be 0 or 1, got 2");

  // Relation: bad replica identity, unterminated name, unknown column flags.
  Relation rel{std::nullopt, 5, "public", "t", ReplicaIdentity::default_, {{1, "id", 23, -1}}};
  std::string relation = encode(rel);
  std::string bad_identity = relation;
  bad_identity[1 + 4 + 7 + 2] = 'x';
  EXPECT_EQ(error_of(bad_identity), "relation message: unknown replica_identity 'x' at offset 14");
  EXPECT_EQ(
      error_of(Encoder{}.u8('R').u32(5).raw("public").bytes()),
      "relation message: truncated at offset 5 reading namespace (string not NUL-terminated)");
  std::string bad_column_flags = relation;
  bad_column_flags[17] = 4;
  EXPECT_EQ(error_of(bad_column_flags),
            "relation message: unrecognized flags 4 in column 0 of relation message");
  EXPECT_EQ(
      error_of(Encoder{}.u8('R').u32(5).cstring("").cstring("t").u8('d').u16(1000).bytes()),
      "relation message: truncated at offset 11 reading columns (1000 announced, 0 bytes left)");

  // Tuples: unknown kind, negative length, a forged column count, a bad tuple tag.
  EXPECT_EQ(error_of(Encoder{}.u8('I').u32(5).u8('N').u16(2).u8('n').u8('x').bytes()),
            "insert message: unknown column kind 'x' at offset 9 in column 1 of new_tuple");
  EXPECT_EQ(error_of(Encoder{}.u8('I').u32(5).u8('N').u16(1).u8('t').u32(0xFFFFFFFE).bytes()),
            "insert message: negative length -2 at offset 9 reading column value (column 0 of "
            "new_tuple)");
  EXPECT_EQ(error_of(Encoder{}.u8('I').u32(5).u8('N').u16(1).u8('t').u32(10).raw("abc").bytes()),
            "insert message: truncated at offset 13 reading column value (need 10 bytes, 3 left) "
            "(column 0 of new_tuple)");
  EXPECT_EQ(error_of(Encoder{}.u8('I').u32(5).u8('N').u16(60000).u8('n').bytes()),
            "insert message: truncated at offset 8 reading new_tuple (60000 columns announced, 1 "
            "bytes left)");
  EXPECT_EQ(error_of(Encoder{}.u8('I').u32(5).u8('K').u16(0).bytes()),
            "insert message: expected 'N' at offset 5 reading new tuple tag, got 'K'");
  EXPECT_EQ(error_of(Encoder{}.u8('U').u32(5).u8('X').bytes()),
            "update message: expected 'K', 'O' or 'N' at offset 5 reading tuple tag, got 'X'");
  EXPECT_EQ(error_of(Encoder{}.u8('U').u32(5).u8('K').u16(0).u8('K').bytes()),
            "update message: expected 'N' at offset 8 reading new tuple tag, got 'K'");
  EXPECT_EQ(error_of(Encoder{}.u8('D').u32(5).u8('N').u16(0).bytes()),
            "delete message: expected 'K' or 'O' at offset 5 reading tuple tag, got 'N'");

  // Truncate: unknown options, a forged relation count.
  EXPECT_EQ(error_of(Encoder{}.u8('T').u32(1).u8(4).u32(5).bytes()),
            "truncate message: unrecognized options 4 in truncate message");
  EXPECT_EQ(error_of(Encoder{}.u8('T').u32(0x7FFFFFFF).u8(0).u32(5).bytes()),
            "truncate message: truncated at offset 6 reading relation_ids (2147483647 announced, "
            "room for 1)");

  // Message: unknown flags; the xid inside a streamed block.
  EXPECT_EQ(error_of(Encoder{}.u8('M').u8(2).u64(1).cstring("p").counted("c").bytes()),
            "logical message: unrecognized flags 2 in logical message");
  EXPECT_EQ(error_of(Encoder{}.u8('I').u16(1).bytes(), DecodeContext{true}),
            "insert message: truncated at offset 1 reading xid (need 4 bytes, 2 left)");
}

// Decodes `bytes` in both contexts; a success must render as JSON, a failure must say why.
void must_not_crash(std::span<const std::byte> bytes, std::size_t& decoded) {
  RelationMap relations;
  for (bool streaming : {false, true}) {
    auto r = decode(bytes, DecodeContext{streaming});
    if (r) {
      ++decoded;
      relations.observe(*r);
      EXPECT_EQ(to_json(*r, relations).front(), '{');
    } else {
      ASSERT_EQ(r.error().domain, ErrorDomain::decode);
      ASSERT_FALSE(r.error().message.empty());
    }
  }
}

TEST(DecodeRandom, RandomBuffersNeverCrash) {
  std::mt19937_64 rng(20261125);
  static constexpr char kTags[] = "BCORYIUDTMSEcAZ";
  std::size_t decoded = 0;
  std::vector<std::byte> buf;
  for (int i = 0; i < 20'000; ++i) {
    buf.resize(rng() % 64);
    for (auto& b : buf) b = static_cast<std::byte>(rng());
    // Mostly a valid tag, so that the message parsers (not only the tag switch) see the garbage.
    if (!buf.empty() && rng() % 8 != 0) buf[0] = static_cast<std::byte>(kTags[rng() % 15]);
    must_not_crash(buf, decoded);
  }
  EXPECT_GT(decoded, 0u) << "random input should sometimes be a valid short message";
}

TEST(DecodeRandom, MutatedFixtureMessagesNeverCrash) {
  std::mt19937_64 rng(42);
  std::vector<std::vector<std::byte>> corpus;
  for (const auto& name : testing::fixture_names()) {
    auto fixture = load_fixture(name);
    // Every distinct kind, plus a sample of the rest.
    for (std::size_t i = 0; i < fixture.messages.size(); i += (i < 80 ? 1 : 97)) {
      corpus.push_back(fixture.messages[i]->bytes);
    }
  }
  ASSERT_GT(corpus.size(), 50u);
  std::size_t decoded = 0;
  for (int i = 0; i < 30'000; ++i) {
    std::vector<std::byte> buf = corpus[rng() % corpus.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < mutations && !buf.empty(); ++k) {
      const std::size_t at = rng() % buf.size();
      switch (rng() % 5) {
        case 0:  // flip a bit
          buf[at] ^= static_cast<std::byte>(1u << (rng() % 8));
          break;
        case 1:  // a random byte
          buf[at] = static_cast<std::byte>(rng());
          break;
        case 2:  // an extreme byte, to make lengths and counts huge or negative
          buf[at] = static_cast<std::byte>(rng() % 2 ? 0xFF : 0x00);
          break;
        case 3:  // cut
          buf.resize(at);
          break;
        default:  // insert a byte
          buf.insert(buf.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::byte>(rng()));
          break;
      }
    }
    must_not_crash(buf, decoded);
  }
  EXPECT_GT(decoded, 0u);
}

}  // namespace
}  // namespace dualwrite::decode
