// Framing: the CopyBoth sub-protocol of streaming replication, as bytes.
//
// For: turning one CopyData payload from the walsender into an XLogData or primary keepalive,
// and building the standby status update we send back. Pure functions, no I/O, unit-tested
// without a server. Wire grammar (all integers big-endian; times are microseconds since
// 2000-01-01 00:00:00 UTC):
//   XLogData          'w' Int64 dataStart, Int64 walEnd, Int64 sendTime, Byte[n] payload
//   PrimaryKeepalive  'k' Int64 walEnd, Int64 sendTime, Byte1 replyRequested (0 or 1)
//   StandbyStatus     'r' Int64 write, Int64 flush, Int64 apply, Int64 clock, Byte1 replyRequested
// Not for: the payload, which is a pgoutput message (decode/ reads it).
// Thread-safety: stateless; values only. XLogData::payload borrows the caller's buffer.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::stream {

// Microseconds since the PostgreSQL epoch (2000-01-01 UTC), as on the wire.
using PgTimestamp = std::int64_t;
PgTimestamp to_pg_timestamp(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_pg_timestamp(PgTimestamp t);

struct XLogData {
  Lsn data_start;
  Lsn wal_end;
  PgTimestamp send_time = 0;
  std::span<const std::byte> payload;  // borrowed: valid as long as the parsed buffer
};

struct Keepalive {
  Lsn wal_end;
  PgTimestamp send_time = 0;
  bool reply_requested = false;
};

using CopyMessage = std::variant<XLogData, Keepalive>;

inline constexpr std::size_t kXLogDataHeaderSize = 25;
inline constexpr std::size_t kKeepaliveSize = 18;
inline constexpr std::size_t kStatusUpdateSize = 34;

// Parses one CopyData payload. Fails (ErrorDomain::source) on an unknown type byte, a short
// header, a keepalive of the wrong length or a replyRequested byte other than 0/1; the message
// names the field and its offset.
Result<CopyMessage> parse_copy_data(std::span<const std::byte> data);

struct StatusUpdate {
  Lsn write;
  Lsn flush;
  Lsn apply;
  PgTimestamp clock = 0;
  bool reply_requested = false;
};

std::array<std::byte, kStatusUpdateSize> build_status_update(const StatusUpdate& s);

// Test-side helpers and tools: the server's side of the framing. Used by unit tests and the
// benchmark, never by the daemon's data path.
std::array<std::byte, kKeepaliveSize> build_keepalive(const Keepalive& k);
std::array<std::byte, kXLogDataHeaderSize> build_xlogdata_header(Lsn data_start, Lsn wal_end,
                                                                 PgTimestamp send_time);
// Parses a standby status update (what the server would read), for round-trip tests.
Result<StatusUpdate> parse_status_update(std::span<const std::byte> data);

}  // namespace dualwrite::stream
