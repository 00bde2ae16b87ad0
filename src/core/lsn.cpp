#include "dualwrite/core/lsn.hpp"

#include <charconv>
#include <cstdio>

namespace dualwrite {

namespace {

std::optional<std::uint32_t> parse_hex32(std::string_view part) {
  if (part.empty() || part.size() > 8) return std::nullopt;
  std::uint32_t out = 0;
  const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out, 16);
  if (ec != std::errc{} || end != part.data() + part.size()) return std::nullopt;
  return out;
}

}  // namespace

std::optional<Lsn> Lsn::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto hi = parse_hex32(text.substr(0, slash));
  const auto lo = parse_hex32(text.substr(slash + 1));
  if (!hi || !lo) return std::nullopt;
  return Lsn{(std::uint64_t{*hi} << 32) | *lo};
}

std::string Lsn::to_string() const {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(value_ >> 32),
                              static_cast<unsigned>(value_ & 0xFFFFFFFFu));
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace dualwrite
