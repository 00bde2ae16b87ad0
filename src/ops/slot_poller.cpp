#include "dualwrite/ops/slot_poller.hpp"

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
    : config_(std::move(config)),
      metrics_(metrics),
      loop_(config_.conninfo, config_.password, {"source_poll", "slot_poll", "slot poll"},
            metrics) {}

SlotPoller::~SlotPoller() {
  stop();
}

Result<SlotState> SlotPoller::query() {
  const auto result = loop_.connection().query(sql::ops::slot_poll, {config_.slot.c_str()});
  if (PQntuples(result.get()) != 1) {
    return make_error(ErrorDomain::source, "slot poll: unexpected result shape");
  }
  auto value = [&](int col) -> const char* {
    return PQgetisnull(result.get(), 0, col) ? nullptr : PQgetvalue(result.get(), 0, col);
  };
  loop_.up();
  if (const char* current = value(0); current && config_.on_source_position) {
    if (auto lsn = Lsn::parse(current)) config_.on_source_position(*lsn);
  }
  if (*PQgetvalue(result.get(), 0, 1) != 't') {
    metrics_.set_slot(std::nullopt);
    return make_error(ErrorDomain::slot_lost,
                      "replication slot " + config_.slot + " does not exist on the source");
  }
  return parse_slot_row(value(2), value(3), value(4));
}

Result<SlotState> SlotPoller::poll_once() {
  auto polled = pg::attempt(ErrorDomain::source, [this] { return query(); });
  if (!polled) {
    loop_.failed(polled.error());
    return polled.error();
  }
  // The source answered: a missing slot or an unreadable row keeps the connection.
  if (*polled) {
    metrics_.set_slot(**polled);
  } else {
    loop_.report(polled->error());
  }
  return std::move(*polled);
}

void SlotPoller::start() {
  loop_.start(config_.interval, [this] { (void)poll_once(); });
}

void SlotPoller::stop() {
  loop_.stop();
}

}  // namespace dualwrite::ops
