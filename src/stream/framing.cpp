#include "dualwrite/stream/framing.hpp"

#include <string>

#include "dualwrite/core/pg_time.hpp"

namespace dualwrite::stream {

namespace {

Error frame_error(const char* what, std::size_t offset, std::size_t size) {
  return make_error(ErrorDomain::source, std::string("replication frame: ") + what + " at offset " +
                                             std::to_string(offset) + " (frame is " +
                                             std::to_string(size) + " bytes)");
}

std::uint64_t read_u64(std::span<const std::byte> d, std::size_t off) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(d[off + i]);
  return v;
}

template <std::size_t N>
void write_u64(std::array<std::byte, N>& out, std::size_t off, std::uint64_t v) {
  for (std::size_t i = 0; i < 8; ++i) {
    out[off + i] = static_cast<std::byte>((v >> (56 - 8 * i)) & 0xffU);
  }
}

}  // namespace

PgTimestamp to_pg_timestamp(std::chrono::system_clock::time_point t) {
  return to_pg_micros(t);
}

std::chrono::system_clock::time_point from_pg_timestamp(PgTimestamp t) {
  return from_pg_micros(t);
}

Result<CopyMessage> parse_copy_data(std::span<const std::byte> data) {
  if (data.empty()) return frame_error("missing message type byte", 0, 0);
  const char type = static_cast<char>(data[0]);
  if (type == 'w') {
    if (data.size() < kXLogDataHeaderSize) {
      const std::size_t field_off = data.size() < 9 ? 1 : data.size() < 17 ? 9 : 17;
      const char* field = field_off == 1   ? "XLogData dataStart truncated"
                          : field_off == 9 ? "XLogData walEnd truncated"
                                           : "XLogData sendTime truncated";
      return frame_error(field, field_off, data.size());
    }
    return CopyMessage{XLogData{
        .data_start = Lsn{read_u64(data, 1)},
        .wal_end = Lsn{read_u64(data, 9)},
        .send_time = static_cast<PgTimestamp>(read_u64(data, 17)),
        .payload = data.subspan(kXLogDataHeaderSize),
    }};
  }
  if (type == 'k') {
    if (data.size() != kKeepaliveSize) {
      return frame_error(
          data.size() < kKeepaliveSize ? "keepalive truncated" : "keepalive has trailing bytes",
          std::min(data.size(), kKeepaliveSize), data.size());
    }
    const auto reply = std::to_integer<unsigned>(data[17]);
    if (reply > 1) return frame_error("keepalive replyRequested is not 0 or 1", 17, data.size());
    return CopyMessage{Keepalive{
        .wal_end = Lsn{read_u64(data, 1)},
        .send_time = static_cast<PgTimestamp>(read_u64(data, 9)),
        .reply_requested = reply == 1,
    }};
  }
  return frame_error(("unknown message type 0x" +
                      [&] {
                        static constexpr char hex[] = "0123456789abcdef";
                        const auto b = std::to_integer<unsigned>(data[0]);
                        return std::string{hex[b >> 4], hex[b & 15]};
                      }())
                         .c_str(),
                     0, data.size());
}

std::array<std::byte, kStatusUpdateSize> build_status_update(const StatusUpdate& s) {
  std::array<std::byte, kStatusUpdateSize> out{};
  out[0] = std::byte{'r'};
  write_u64(out, 1, s.write.value());
  write_u64(out, 9, s.flush.value());
  write_u64(out, 17, s.apply.value());
  write_u64(out, 25, static_cast<std::uint64_t>(s.clock));
  out[33] = s.reply_requested ? std::byte{1} : std::byte{0};
  return out;
}

std::array<std::byte, kKeepaliveSize> build_keepalive(const Keepalive& k) {
  std::array<std::byte, kKeepaliveSize> out{};
  out[0] = std::byte{'k'};
  write_u64(out, 1, k.wal_end.value());
  write_u64(out, 9, static_cast<std::uint64_t>(k.send_time));
  out[17] = k.reply_requested ? std::byte{1} : std::byte{0};
  return out;
}

std::array<std::byte, kXLogDataHeaderSize> build_xlogdata_header(Lsn data_start, Lsn wal_end,
                                                                 PgTimestamp send_time) {
  std::array<std::byte, kXLogDataHeaderSize> out{};
  out[0] = std::byte{'w'};
  write_u64(out, 1, data_start.value());
  write_u64(out, 9, wal_end.value());
  write_u64(out, 17, static_cast<std::uint64_t>(send_time));
  return out;
}

Result<StatusUpdate> parse_status_update(std::span<const std::byte> data) {
  if (data.empty() || static_cast<char>(data[0]) != 'r') {
    return frame_error("status update type byte is not 'r'", 0, data.size());
  }
  if (data.size() != kStatusUpdateSize) {
    return frame_error("status update has the wrong length",
                       std::min(data.size(), kStatusUpdateSize), data.size());
  }
  const auto reply = std::to_integer<unsigned>(data[33]);
  if (reply > 1) return frame_error("status replyRequested is not 0 or 1", 33, data.size());
  return StatusUpdate{
      .write = Lsn{read_u64(data, 1)},
      .flush = Lsn{read_u64(data, 9)},
      .apply = Lsn{read_u64(data, 17)},
      .clock = static_cast<PgTimestamp>(read_u64(data, 25)),
      .reply_requested = reply == 1,
  };
}

}  // namespace dualwrite::stream
