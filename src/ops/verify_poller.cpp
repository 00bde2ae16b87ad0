#include "dualwrite/ops/verify_poller.hpp"

#include <cstdlib>

#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/sql/ops.hpp"

namespace dualwrite::ops {

VerifyPoller::VerifyPoller(VerifyPollerConfig config, Metrics& metrics)
    : config_(std::move(config)),
      metrics_(metrics),
      loop_(config_.conninfo, config_.password, {"target_poll", "verify_poll", "verify poll"},
            metrics) {}

VerifyPoller::~VerifyPoller() {
  stop();
}

Result<std::vector<std::pair<std::string, double>>> VerifyPoller::poll_once() {
  auto polled = pg::attempt(ErrorDomain::target, [&] {
    std::vector<std::pair<std::string, double>> found;
    const auto r = loop_.connection().query(sql::ops::verify_results);
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      if (PQgetisnull(r.get(), i, 1)) continue;
      found.emplace_back(PQgetvalue(r.get(), i, 0),
                         std::strtod(PQgetvalue(r.get(), i, 1), nullptr));
    }
    return found;
  });
  if (!polled) {
    loop_.failed(polled.error());
    return polled.error();
  }
  loop_.up();
  for (const auto& [table, mismatches] : *polled) metrics_.set_verify_mismatches(table, mismatches);
  return polled;
}

void VerifyPoller::start() {
  loop_.start(config_.interval, [this] { (void)poll_once(); });
}

void VerifyPoller::stop() {
  loop_.stop();
}

}  // namespace dualwrite::ops
