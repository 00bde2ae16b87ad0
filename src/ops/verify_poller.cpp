#include "dualwrite/ops/verify_poller.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace dualwrite::ops {

VerifyPoller::VerifyPoller(VerifyPollerConfig config, Metrics& metrics)
    : config_(std::move(config)), metrics_(metrics) {}

VerifyPoller::~VerifyPoller() {
  stop();
}

Result<std::vector<std::pair<std::string, double>>> VerifyPoller::poll_once() {
  std::vector<std::pair<std::string, double>> found;
  try {
    if (!conn_.ok()) {
      // Connect and every query have deadlines, and end when the poller stops: a target that
      // accepts TCP and never answers must not hold the thread (or the daemon's exit).
      auto stopping = [this] { return periodic_.stopping(); };
      conn_ = apply::Connection::open(config_.conninfo, config_.password, stopping);
      conn_.set_wait_limit(kQueryTimeout, stopping);
    }
    // verify_runs holds one row per run: small enough to read whole every 30 s. A run limited
    // with --tables leaves the other tables at their previous result.
    const auto r = conn_.query(
        "SELECT DISTINCT ON (t->>'table') t->>'table', (t->>'mismatches')::float8 "
        "FROM dualwrite.verify_runs v, jsonb_array_elements(v.tables) t "
        "WHERE v.finished_at IS NOT NULL AND t->>'table' IS NOT NULL "
        "ORDER BY t->>'table', v.finished_at DESC, v.id DESC");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      if (PQgetisnull(r.get(), i, 1)) continue;
      found.emplace_back(PQgetvalue(r.get(), i, 0),
                         std::strtod(PQgetvalue(r.get(), i, 1), nullptr));
    }
  } catch (const apply::DbError& e) {
    conn_ = apply::Connection();
    metrics_.set_connection("target_poll", false);
    if (periodic_.stopping()) return make_error(ErrorDomain::target, e.what());
    metrics_.count_error("verify_poll");
    spdlog::warn("verify poll: {}", e.what());
    return make_error(ErrorDomain::target, e.what());
  }
  metrics_.set_connection("target_poll", true);
  for (const auto& [table, mismatches] : found) metrics_.set_verify_mismatches(table, mismatches);
  return found;
}

void VerifyPoller::start() {
  periodic_.start(config_.interval, [this] { (void)poll_once(); });
}

void VerifyPoller::stop() {
  periodic_.stop();
}

}  // namespace dualwrite::ops
