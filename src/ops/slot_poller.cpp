#include "dualwrite/ops/slot_poller.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/ops.hpp"

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
  auto polled = pg::attempt(ErrorDomain::source, [&]() -> Result<SlotState> {
    if (!conn_.ok()) {
      auto stopping = [this] { return periodic_.stopping(); };
      conn_ = apply::Connection::open(config_.conninfo, config_.password, stopping);
      conn_.set_wait_limit(kSlotQueryTimeout, stopping);
    }
    const auto result = conn_.query(sql::ops::slot_poll, {config_.slot.c_str()});
    if (PQntuples(result.get()) != 1) {
      return make_error(ErrorDomain::source, "slot poll: unexpected result shape");
    }
    auto value = [&](int col) -> const char* {
      return PQgetisnull(result.get(), 0, col) ? nullptr : PQgetvalue(result.get(), 0, col);
    };
    metrics_.set_connection("source_poll", true);
    if (const char* current = value(0); current && config_.on_source_position) {
      if (auto lsn = Lsn::parse(current)) config_.on_source_position(*lsn);
    }
    if (*PQgetvalue(result.get(), 0, 1) != 't') {
      metrics_.set_slot(std::nullopt);
      return make_error(ErrorDomain::slot_lost,
                        "replication slot " + config_.slot + " does not exist on the source");
    }
    return parse_slot_row(value(2), value(3), value(4));
  });
  if (!polled) {
    // Any failure starts from a new connection next time: after a server restart libpq can
    // report the first failed query on a socket it still believes is open.
    conn_ = apply::Connection();
    metrics_.set_connection("source_poll", false);
    return polled.error();
  }
  return std::move(*polled);
}

Result<SlotState> SlotPoller::poll_once() {
  auto r = query();
  if (r) {
    metrics_.set_slot(*r);
  } else if (periodic_.stopping()) {
    // A poll cut short by stop() is not an error of the source.
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
