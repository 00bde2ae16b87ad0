// Test helper: the pgoutput fixtures captured from PostgreSQL 15 (tests/fixtures/pgoutput/*.hex,
// written by tests/fixtures/pgoutput/capture), loaded as bytes and decoded in stream order.
//
// For: the decode unit tests and the benchmark. Not for: production code.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "dualwrite/decode/hex.hpp"
#include "dualwrite/decode/pgoutput.hpp"

#ifndef DUALWRITE_PGOUTPUT_FIXTURES
#error "DUALWRITE_PGOUTPUT_FIXTURES must name tests/fixtures/pgoutput"
#endif

namespace dualwrite::decode::testing {

inline const std::vector<std::string>& fixture_names() {
  static const std::vector<std::string> names = {"dml.proto1.hex", "dml.proto2.hex",
                                                 "streamed.proto2.hex"};
  return names;
}

// One message of a fixture: its bytes, its line, and the context it must be decoded in (derived
// by running a Decoder over the file). `message` views `bytes`.
struct FixtureMessage {
  std::size_t line = 0;
  std::vector<std::byte> bytes;
  DecodeContext context;
  Message message;
};

struct Fixture {
  std::string name;
  // Stable addresses: each message's string_views point into its own bytes.
  std::vector<std::unique_ptr<FixtureMessage>> messages;
};

// Loads and decodes a fixture; fails the current test (and returns what it has) on any error.
inline Fixture load_fixture(const std::string& name) {
  Fixture fixture{name, {}};
  std::ifstream in(std::string(DUALWRITE_PGOUTPUT_FIXTURES) + "/" + name);
  if (!in) {
    ADD_FAILURE() << "cannot open fixture " << name;
    return fixture;
  }
  Decoder decoder;
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto m = std::make_unique<FixtureMessage>();
    m->line = n;
    if (auto s = parse_hex(line, m->bytes); !s) {
      ADD_FAILURE() << name << ":" << n << ": " << s.error().message;
      return fixture;
    }
    m->context.in_streamed_block = decoder.in_streamed_block();
    auto decoded = decoder.decode(m->bytes);
    if (!decoded) {
      ADD_FAILURE() << name << ":" << n << ": " << decoded.error().message;
      return fixture;
    }
    m->message = std::move(decoded).value();
    fixture.messages.push_back(std::move(m));
  }
  return fixture;
}

}  // namespace dualwrite::decode::testing
