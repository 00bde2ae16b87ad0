// Name-based UUIDs, version 5 (RFC 9562: SHA-1 of namespace + name).
//
// For: the derived ids of mapping.md rule 1, identical to uuid-ossp's
// uuid_generate_v5(namespace, name), so a backfilled row and a streamed row get the same id.
// Not for: random ids.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace dualwrite::translate {

using UuidBytes = std::array<std::uint8_t, 16>;
// Lowercase canonical text, 8-4-4-4-12, without a terminating NUL.
using UuidText = std::array<char, 36>;

// b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45: the namespace of every id dualwrite derives.
inline constexpr std::string_view kMappingNamespace = "b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45";

std::optional<UuidBytes> parse_uuid(std::string_view text);
UuidText format_uuid(const UuidBytes& bytes);
UuidBytes uuid_v5(const UuidBytes& name_space, std::string_view name);
// uuid_v5 in kMappingNamespace, as text.
UuidText mapping_uuid(std::string_view name);

inline std::string_view view(const UuidText& text) {
  return {text.data(), text.size()};
}

}  // namespace dualwrite::translate
