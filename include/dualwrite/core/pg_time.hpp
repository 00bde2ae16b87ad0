// PostgreSQL's epoch: timestamps on the wire and in pgoutput (TimestampTz) count microseconds
// since 2000-01-01 00:00:00 UTC, the Unix clock since 1970-01-01.
//
// For: converting between the two wherever a commit time, a keepalive's clock or a dead letter's
// timestamp crosses from one to the other: the one place the offset is written down.
// Not for: formatting (decode::PgTimestamp::to_iso8601, apply::format_pg_timestamp), or
// PostgreSQL's +/-infinity (decode::PgTimestamp saturates for those).
// Thread-safety: constants and pure functions.
#pragma once

#include <chrono>
#include <cstdint>

namespace dualwrite {

// Seconds between 1970-01-01 and 2000-01-01 (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE days).
inline constexpr std::int64_t kPgEpochUnixSeconds = 946'684'800;
inline constexpr std::int64_t kPgEpochUnixMicros = kPgEpochUnixSeconds * 1'000'000;

// Microseconds since PostgreSQL's epoch -> the system clock.
inline std::chrono::system_clock::time_point from_pg_micros(std::int64_t micros_since_2000) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(micros_since_2000 + kPgEpochUnixMicros)));
}

// The system clock -> microseconds since PostgreSQL's epoch (truncated to the microsecond).
inline std::int64_t to_pg_micros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() -
         kPgEpochUnixMicros;
}

}  // namespace dualwrite
