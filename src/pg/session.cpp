#include "dualwrite/pg/session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>

namespace dualwrite::pg {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kCancelCheckMs = 100;

std::atomic<const std::atomic<bool>*> process_stop{nullptr};

bool stop_requested(const Cancelled& cancelled) {
  const auto* flag = process_stop.load();
  return (flag != nullptr && flag->load()) || (cancelled && cancelled());
}

std::string trimmed_message(PGconn* c) {
  std::string m = c != nullptr ? PQerrorMessage(c) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(
      std::max<std::int64_t>(0, std::min<std::int64_t>(left.count(), kCancelCheckMs)));
}

}  // namespace

void set_process_stop(const std::atomic<bool>* flag) {
  process_stop.store(flag);
}

const std::vector<std::pair<std::string, std::string>>& connection_defaults() {
  static const std::vector<std::pair<std::string, std::string>> defaults{
      {"connect_timeout", std::to_string(kConnectTimeout.count())},
      {"keepalives", "1"},
      {"keepalives_idle", "10"},
      {"keepalives_interval", "5"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", "30000"},
  };
  return defaults;
}

std::chrono::milliseconds connect_timeout_of(PGconn* conn) {
  std::chrono::milliseconds timeout = kConnectTimeout;
  PQconninfoOption* options = conn != nullptr ? PQconninfo(conn) : nullptr;
  for (auto* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "connect_timeout" && o->val != nullptr && *o->val) {
      // libpq: values below 2 s are taken as 2 s; 0 or a negative value means no limit, which
      // we do not allow for the daemon: the default stands.
      const long seconds = std::strtol(o->val, nullptr, 10);
      if (seconds > 0) timeout = std::chrono::seconds(std::max(seconds, 2L));
    }
  }
  PQconninfoFree(options);
  return timeout;
}

PGconn* connect(const std::string& conninfo, const std::vector<Param>& extra,
                const Cancelled& cancelled, std::string& error) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : connection_defaults()) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  // expand_dbname=1: the first "dbname" holds the whole conninfo; keywords after it override
  // it, keywords before it are overridden by it.
  keys.push_back("dbname");
  values.push_back(conninfo.c_str());
  for (const auto& p : extra) {
    keys.push_back(p.key.c_str());
    values.push_back(p.value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectStartParams(keys.data(), values.data(), 1);
  if (conn == nullptr) {
    error = "out of memory creating a connection";
    return nullptr;
  }
  if (PQstatus(conn) == CONNECTION_BAD) {
    error = trimmed_message(conn);
    return conn;
  }
  const auto timeout = connect_timeout_of(conn);
  const auto deadline = Clock::now() + timeout;
  // PQconnectPoll ignores connect_timeout: the deadline is ours (libpq's own applies it per
  // host; ours covers the whole attempt, which is what a caller waiting on us cares about).
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    if (stop_requested(cancelled)) {
      error = "cancelled";
      shut_down(PQsocket(conn));
      return conn;
    }
    if (Clock::now() >= deadline) {
      error = "timed out after " + std::to_string(timeout.count() / 1000) +
              " s (connect_timeout): the server accepted no connection or did not answer";
      shut_down(PQsocket(conn));
      return conn;
    }
    if (!wait_socket(conn, st == PGRES_POLLING_WRITING, remaining_ms(deadline))) continue;
    st = PQconnectPoll(conn);
  }
  if (PQstatus(conn) != CONNECTION_OK) error = trimmed_message(conn);
  return conn;
}

bool wait_socket(PGconn* conn, bool for_write, int ms) {
  const int fd = PQsocket(conn);
  if (fd < 0) return true;  // nothing to wait on: let libpq report the state
  pollfd p{.fd = fd, .events = static_cast<short>(for_write ? POLLOUT : POLLIN), .revents = 0};
  const int r = ::poll(&p, 1, ms);
  return r != 0;  // ready, or an error libpq will report on its next call
}

bool transient_connect_failure(std::string_view message) {
  auto has = [&](std::string_view what) { return message.find(what) != std::string_view::npos; };
  for (std::string_view permanent :
       {"authentication failed", "does not exist", "no pg_hba.conf entry", "password",
        "permission denied", "SSL", "invalid", "unsupported", "not permitted", "must be",
        "insufficient privilege"}) {
    if (has(permanent)) return false;
  }
  for (std::string_view transient : {"Connection refused",
                                     "No such file or directory",
                                     "timed out",
                                     "Connection timed out",
                                     "could not connect",
                                     "is the server running",
                                     "starting up",
                                     "shutting down",
                                     "in recovery mode",
                                     "too many clients",
                                     "remaining connection slots",
                                     "server closed the connection",
                                     "connection to server",
                                     "Network is unreachable",
                                     "No route to host",
                                     "could not translate host name",
                                     "Connection reset",
                                     "terminating connection",
                                     "no answer within",
                                     "cancelled"}) {
    if (has(transient)) return true;
  }
  return false;
}

void shut_down(int fd) {
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

ExecResult exec(PGconn* conn, const std::string& command, const std::vector<const char*>* params,
                std::chrono::milliseconds timeout, const Cancelled& cancelled) {
  ExecResult out;
  const int sent = params == nullptr
                       ? PQsendQuery(conn, command.c_str())
                       : PQsendQueryParams(conn, command.c_str(), static_cast<int>(params->size()),
                                           nullptr, params->data(), nullptr, nullptr, 0);
  if (sent != 1) {
    out.error = trimmed_message(conn);
    return out;
  }
  const bool limited = timeout > std::chrono::milliseconds::zero();
  const auto deadline = Clock::now() + timeout;
  // A blocking connection flushes the whole command in PQsendQuery; only reading waits.
  for (;;) {
    while (PQisBusy(conn) != 0) {
      if (stop_requested(cancelled)) {
        out.error = "cancelled";
      } else if (limited && Clock::now() >= deadline) {
        out.error = "no answer within " + std::to_string(timeout.count() / 1000) + " s";
      }
      if (!out.error.empty()) {
        if (out.result != nullptr) PQclear(out.result);
        out.result = nullptr;
        shut_down(PQsocket(conn));
        return out;
      }
      if (wait_socket(conn, false, limited ? remaining_ms(deadline) : kCancelCheckMs) &&
          PQconsumeInput(conn) == 0) {
        break;  // the connection failed: PQgetResult reports it
      }
    }
    PGresult* r = PQgetResult(conn);
    if (r == nullptr) return out;
    const auto st = PQresultStatus(r);
    if (out.result != nullptr) PQclear(out.result);
    out.result = r;
    if (st == PGRES_COPY_BOTH || st == PGRES_COPY_IN || st == PGRES_COPY_OUT) return out;
  }
}

}  // namespace dualwrite::pg
