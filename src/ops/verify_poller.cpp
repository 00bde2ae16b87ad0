#include "dualwrite/ops/verify_poller.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/ops.hpp"

namespace dualwrite::ops {

VerifyPoller::VerifyPoller(VerifyPollerConfig config, Metrics& metrics)
    : config_(std::move(config)), metrics_(metrics) {}

VerifyPoller::~VerifyPoller() {
  stop();
}

Result<std::vector<std::pair<std::string, double>>> VerifyPoller::poll_once() {
  auto polled = pg::attempt(ErrorDomain::target, [&] {
    if (!conn_.ok()) {
      // Connect and every query have deadlines, and end when the poller stops: a target that
      // accepts TCP and never answers must not hold the thread (or the daemon's exit).
      auto stopping = [this] { return periodic_.stopping(); };
      conn_ = apply::Connection::open(config_.conninfo, config_.password, stopping);
      conn_.set_wait_limit(kQueryTimeout, stopping);
    }
    std::vector<std::pair<std::string, double>> found;
    const auto r = conn_.query(sql::ops::verify_results);
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      if (PQgetisnull(r.get(), i, 1)) continue;
      found.emplace_back(PQgetvalue(r.get(), i, 0),
                         std::strtod(PQgetvalue(r.get(), i, 1), nullptr));
    }
    return found;
  });
  if (!polled) {
    conn_ = apply::Connection();
    metrics_.set_connection("target_poll", false);
    if (periodic_.stopping()) return polled.error();
    metrics_.count_error("verify_poll");
    spdlog::warn("verify poll: {}", polled.error().message);
    return polled.error();
  }
  metrics_.set_connection("target_poll", true);
  for (const auto& [table, mismatches] : *polled) metrics_.set_verify_mismatches(table, mismatches);
  return polled;
}

void VerifyPoller::start() {
  periodic_.start(config_.interval, [this] { (void)poll_once(); });
}

void VerifyPoller::stop() {
  periodic_.stop();
}

}  // namespace dualwrite::ops
