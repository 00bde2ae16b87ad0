#include "dualwrite/ops/slot_poller.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

namespace dualwrite::ops {

namespace {

template <typename T>
std::optional<T> integer(const char* text) {
  T v{};
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace

Result<SlotState> parse_slot_row(const char* wal_status, const char* safe_wal_size,
                                 const char* retained) {
  SlotState s;
  s.wal_status = wal_status ? wal_status : "";
  if (safe_wal_size) {
    s.safe_wal_size = integer<std::int64_t>(safe_wal_size);
    if (!s.safe_wal_size) {
      return make_error(ErrorDomain::source,
                        std::string("safe_wal_size is not an integer: ") + safe_wal_size);
    }
  }
  if (retained) {
    // pg_lsn - pg_lsn is numeric; the query casts it to bigint. A negative value (restart_lsn
    // ahead of the current LSN on a standby) means nothing retained.
    const auto v = integer<std::int64_t>(retained);
    if (!v) {
      return make_error(ErrorDomain::source,
                        std::string("retained WAL is not an integer: ") + retained);
    }
    s.retained_bytes = static_cast<std::uint64_t>(*v < 0 ? 0 : *v);
  }
  return s;
}

SlotPoller::SlotPoller(SlotPollerConfig config, Metrics& metrics)
    : config_(std::move(config)), metrics_(metrics) {}

SlotPoller::~SlotPoller() {
  stop();
}

Result<SlotState> SlotPoller::query() {
  try {
    if (!conn_.ok()) conn_ = apply::Connection::open(config_.conninfo, config_.password);
    const auto result = conn_.query(
        "SELECT wal_status, safe_wal_size, (pg_current_wal_lsn() - restart_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = $1",
        {config_.slot.c_str()});
    if (PQntuples(result.get()) == 0) {
      metrics_.set_slot(std::nullopt);
      return make_error(ErrorDomain::slot_lost,
                        "replication slot " + config_.slot + " does not exist on the source");
    }
    auto value = [&](int col) -> const char* {
      return PQgetisnull(result.get(), 0, col) ? nullptr : PQgetvalue(result.get(), 0, col);
    };
    return parse_slot_row(value(0), value(1), value(2));
  } catch (const apply::DbError& e) {
    // Any failure starts from a new connection next time: after a server restart libpq can
    // report the first failed query on a socket it still believes is open.
    conn_ = apply::Connection();
    return make_error(ErrorDomain::source, e.what());
  }
}

Result<SlotState> SlotPoller::poll_once() {
  auto r = query();
  if (r) {
    metrics_.set_slot(*r);
  } else {
    metrics_.count_error("slot_poll");
    spdlog::warn("slot poll: {}", r.error().message);
  }
  return r;
}

void SlotPoller::start() {
  periodic_.start(config_.interval, [this] { (void)poll_once(); });
}

void SlotPoller::stop() {
  periodic_.stop();
}

}  // namespace dualwrite::ops
