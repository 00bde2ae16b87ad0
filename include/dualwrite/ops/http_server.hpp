// HttpServer: /metrics, /livez and /readyz on [metrics] listen.
//
// For: the one HTTP port of the daemon, which must keep answering health checks whatever its
// clients do. One Boost.Asio thread serves every connection asynchronously, so an idle or slow
// client costs a socket and a few hundred bytes, never a thread (issue 12: with civetweb's
// thread per connection, 224 half-open connections made /livez time out). Bounds, each counted
// in dualwrite_http_connections_closed_total{reason}:
//   - a request head (request line and headers) must arrive whole within the request timeout
//     (default 5 s) and fit in 8 KiB, else the connection is closed ("timeout") or answered
//     431 ("too_large");
//   - at most 64 connections are open; a new one beyond that closes the oldest connection still
//     waiting for its request ("cap"), so a fresh health check always gets in: an abuser's idle
//     connections are the oldest;
//   - a response must be taken by the client within 10 s; one request per connection
//     (Connection: close), which is what Prometheus and health probes do.
//   GET /metrics   Prometheus text exposition (Metrics::exposition)
//   GET /livez     200 "ok" while the loop turns, else 503; ?verbose: one line per check
//   GET /readyz    200 when streaming, target healthy and lag under the threshold, else 503
//   GET /healthz   the same as /livez (daemon.md's name)
// Not for: TLS or authentication (listen on localhost or a private network), request bodies,
// keep-alive.
// Thread-safety: constructed and destroyed by one thread; requests run on the server's own
// thread and only read Metrics and Health, which are thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "dualwrite/ops/health.hpp"
#include "dualwrite/ops/metrics.hpp"

namespace dualwrite::ops {

// The server could not start; what() is one line naming the address and the cause.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  static constexpr std::chrono::milliseconds kRequestTimeout{5000};
  static constexpr std::chrono::milliseconds kWriteTimeout{10000};
  static constexpr std::size_t kMaxConnections = 64;
  static constexpr std::size_t kMaxHeadBytes = 8192;

  // `listen`: "host:port", "[v6addr]:port" or "port" (all IPv4 addresses), numeric addresses
  // only; port 0 picks a free port. Starts serving at once. Throws HttpError (e.g. "cannot
  // listen on 127.0.0.1:9752 ([metrics] listen): address already in use (another process
  // listens on this port)"). `request_timeout`: how long a connection may take to send its
  // request head (tests shorten it).
  HttpServer(const std::string& listen, Metrics& metrics, const Health& health,
             std::chrono::milliseconds request_timeout = kRequestTimeout);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

  // Request handlers: the body and status of a GET of `path` with `query` (nullptr: none).
  struct Response {
    int status = 200;
    std::string content_type;
    std::string body;
  };
  Response handle(std::string_view path, const char* query) const;

 private:
  struct Impl;
  Metrics& metrics_;
  const Health& health_;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace dualwrite::ops
