// libFuzzer target for the pgoutput decoder (scripts/fuzz runs it, seeded with the PG15
// fixtures).
//
// Checks, for every input and both decode contexts (inside and outside a streamed block):
//   - decode never crashes, reads out of bounds or hits undefined behaviour (ASan, UBSan);
//   - a failure has domain decode and a message;
//   - a success renders as JSON and re-encodes, with the test encoder, to exactly the input
//     bytes: the decoder accepts nothing it cannot represent and loses nothing it accepted;
//   - decode_into a reused Message gives the same result as a fresh decode.
// The input is also fed line by line through a Decoder, to exercise its block state machine.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

#include "dualwrite/decode/json.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "pgoutput_encoder.hpp"

namespace {

using dualwrite::ErrorDomain;
using dualwrite::Status;
using dualwrite::decode::DecodeContext;
using dualwrite::decode::Decoder;
using dualwrite::decode::Message;
using dualwrite::decode::RelationMap;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "decode_fuzz: %s\n", what);
  __builtin_trap();
}

void check(std::span<const std::byte> bytes, DecodeContext ctx, Message& reused,
           RelationMap& relations) {
  auto fresh = dualwrite::decode::decode(bytes, ctx);
  Status again = dualwrite::decode::decode_into(bytes, ctx, reused);
  if (fresh.ok() != again.ok()) fail("decode and decode_into disagree on success");
  if (!fresh) {
    if (fresh.error().domain != ErrorDomain::decode || fresh.error().message.empty()) {
      fail("error without domain decode or message");
    }
    if (fresh.error().message != again.error().message) fail("different error messages");
    return;
  }
  if (!(*fresh == reused)) fail("decode_into into a reused message differs from decode");
  relations.observe(*fresh);
  const std::string json = dualwrite::decode::to_json(*fresh, relations);
  if (json.empty() || json.front() != '{' || json.back() != '}') fail("bad JSON");
  const std::string reencoded = dualwrite::decode::testing::encode(*fresh);
  if (reencoded.size() != bytes.size() ||
      std::memcmp(reencoded.data(), bytes.data(), bytes.size()) != 0) {
    fail("re-encoding the decoded message does not give the input bytes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Message reused;
  RelationMap relations;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  check(bytes, DecodeContext{false}, reused, relations);
  check(bytes, DecodeContext{true}, reused, relations);

  // The same bytes as a sequence of messages separated by '\n' bytes, through one Decoder.
  Decoder decoder;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i == size || data[i] == '\n') {
      auto r = decoder.decode(bytes.subspan(start, i - start));
      if (!r && r.error().message.empty()) fail("Decoder error without message");
      start = i + 1;
    }
  }
  return 0;
}
