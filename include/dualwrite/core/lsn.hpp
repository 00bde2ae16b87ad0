// Lsn: a PostgreSQL write-ahead-log position (XLogRecPtr) as a strong type.
//
// For: carrying positions between the pipeline stages without mixing them up with other
// 64-bit integers, and converting to/from the "X/X" text form PostgreSQL uses (pg_lsn).
// Not for: WAL segment arithmetic or timeline handling.
// Thread-safety: a value type; safe to copy across threads.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dualwrite {

class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(std::uint64_t value) : value_(value) {}

  // InvalidXLogRecPtr: PostgreSQL uses 0 for "no position".
  static constexpr Lsn invalid() { return Lsn{0}; }
  static constexpr Lsn max() { return Lsn{UINT64_MAX}; }

  // Parses "16/B374D848" (upper or lower hex, each half at most 8 digits). Returns nullopt on
  // anything else, so that a bad --from argument can be reported instead of becoming 0/0.
  static std::optional<Lsn> parse(std::string_view text);

  constexpr std::uint64_t value() const { return value_; }
  constexpr bool is_valid() const { return value_ != 0; }
  std::string to_string() const;

  constexpr auto operator<=>(const Lsn&) const = default;

  // Arithmetic saturates rather than wraps: a lag computed from a stale pair of positions must
  // read as 0, not as 16 EiB.
  constexpr Lsn operator+(std::uint64_t bytes) const {
    return Lsn{value_ > UINT64_MAX - bytes ? UINT64_MAX : value_ + bytes};
  }
  constexpr Lsn operator-(std::uint64_t bytes) const {
    return Lsn{value_ < bytes ? 0 : value_ - bytes};
  }
  // Distance in bytes from `earlier` to this position; 0 when `earlier` is not earlier.
  constexpr std::uint64_t bytes_since(Lsn earlier) const {
    return value_ > earlier.value_ ? value_ - earlier.value_ : 0;
  }

 private:
  std::uint64_t value_ = 0;
};

}  // namespace dualwrite
