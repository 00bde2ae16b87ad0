// Hex text -> bytes, for pgoutput messages written as PostgreSQL prints a bytea ("\x4200…").
//
// For: `dualwrite decode`, the fixtures and the tests, which carry messages as the `data` column
// of pg_logical_slot_peek_binary_changes. Not for: the replication stream, which is binary.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "dualwrite/core/error.hpp"

namespace dualwrite::decode {

// Parses `text` (an optional "\x" prefix, then pairs of hex digits, either case; surrounding
// spaces, tabs and a trailing CR are ignored) into `out`, replacing its contents. Errors name
// the character position (1-based) of the offending character.
Status parse_hex(std::string_view text, std::vector<std::byte>& out);

}  // namespace dualwrite::decode
