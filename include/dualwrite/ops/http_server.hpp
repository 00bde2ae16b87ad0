// HttpServer: /metrics, /livez and /readyz on [metrics] listen.
//
// For: the one HTTP port of the daemon. Built on civetweb's C API (the embedded server
// prometheus-cpp's Exposer wraps) rather than on Exposer itself: Exposer serves only
// collectables and offers no handler of our own (its CivetServer is private), and its bind
// failure is a generic exception. With civetweb directly, one server and one thread pool serve
// all three paths, handlers get their object as callback data (no globals), a bind failure
// becomes one clear line, and port 0 binds a free port (tests).
//   GET /metrics   Prometheus text exposition (Metrics::exposition)
//   GET /livez     200 "ok" while the loop turns, else 503; ?verbose: one line per check
//   GET /readyz    200 when streaming, target healthy and lag under the threshold, else 503
//   GET /healthz   the same as /livez (daemon.md's name)
// Not for: TLS or authentication: listen on localhost or a private network.
// Thread-safety: constructed and destroyed by one thread; requests run on civetweb's threads
// and only read Metrics and Health, which are thread-safe.
#pragma once

#include <stdexcept>
#include <string>

#include "dualwrite/ops/health.hpp"
#include "dualwrite/ops/metrics.hpp"

struct mg_context;

namespace dualwrite::ops {

// The server could not start; what() is one line naming the address and the cause.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpServer {
 public:
  // `listen`: "host:port", "[v6addr]:port" or "port"; port 0 picks a free port. Starts serving
  // at once. Throws HttpError (e.g. "cannot listen on 127.0.0.1:9752 ([metrics] listen): address
  // already in use").
  HttpServer(const std::string& listen, Metrics& metrics, const Health& health);
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
  Metrics& metrics_;
  const Health& health_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace dualwrite::ops
