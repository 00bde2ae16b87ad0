#include "dualwrite/ops/poll_loop.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace dualwrite::ops {

PollLoop::PollLoop(std::string conninfo, std::string password, Names names, Metrics& metrics)
    : conninfo_(std::move(conninfo)),
      password_(std::move(password)),
      names_(names),
      metrics_(metrics) {}

PollLoop::~PollLoop() {
  stop();
}

void PollLoop::start(std::chrono::milliseconds interval, std::function<void()> poll) {
  periodic_.start(interval, std::move(poll));
}

void PollLoop::stop() {
  periodic_.stop();
}

pg::Connection& PollLoop::connection() {
  if (!conn_.ok()) {
    auto stopping = [this] { return periodic_.stopping(); };
    conn_ = pg::Connection::open(conninfo_, password_, stopping);
    conn_.set_wait_limit(kPollQueryTimeout, stopping);
  }
  return conn_;
}

void PollLoop::up() {
  metrics_.set_connection(names_.connection, true);
}

void PollLoop::failed(const Error& error) {
  conn_ = pg::Connection();
  metrics_.set_connection(names_.connection, false);
  report(error);
}

void PollLoop::report(const Error& error) {
  if (periodic_.stopping()) return;
  metrics_.count_error(names_.stage);
  spdlog::warn("{}: {}", names_.what, error.message);
}

}  // namespace dualwrite::ops
