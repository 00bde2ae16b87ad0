#include "dualwrite/ops/http_server.hpp"

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <exception>
#include <list>
#include <optional>
#include <thread>

// GCC 12 pairs Boost 1.74's awaitable_frame_base::operator new (recycling allocator) with the
// sized operator delete of the same class and reports a mismatch that is not there.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace dualwrite::ops {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host;  // empty: any address
  int port = 0;
  bool v6 = false;
};

// "host:port", "[v6]:port" or "port".
std::optional<Endpoint> parse_listen(const std::string& listen) {
  Endpoint e;
  std::string port;
  if (!listen.empty() && listen.front() == '[') {
    const auto close = listen.find("]:");
    if (close == std::string::npos) return std::nullopt;
    e.host = listen.substr(1, close - 1);
    e.v6 = true;
    port = listen.substr(close + 2);
  } else if (const auto colon = listen.rfind(':'); colon != std::string::npos) {
    e.host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  } else {
    port = listen;
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  e.port = std::stoi(port);
  if (e.port > 65535) return std::nullopt;
  return e;
}

// The address to bind, or why there is none.
std::optional<asio::ip::address> address_of(const Endpoint& e, std::string& why) {
  if (e.host.empty()) return asio::ip::address(asio::ip::address_v4::any());
  error_code ec;
  const auto address = asio::ip::make_address(e.host, ec);
  if (ec || address.is_v6() != e.v6) {
    why = e.v6 ? "not an IPv6 address"
               : "not an IPv4 address (use a numeric address, [v6]:port for IPv6)";
    return std::nullopt;
  }
  return address;
}

std::string bind_failure(const error_code& ec) {
  std::string why = ec.message();
  for (auto& c : why) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ec == asio::error::address_in_use) why += " (another process listens on this port)";
  return why;
}

bool has_flag(const char* query, std::string_view flag) {
  if (!query) return false;
  std::string_view q = query;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto item = q.substr(0, amp);
    if (item.substr(0, item.find('=')) == flag) return true;
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return false;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

std::string render(const HttpServer::Response& r, bool with_body) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) +
                    "\r\nContent-Type: " + r.content_type +
                    "\r\nContent-Length: " + std::to_string(r.body.size()) +
                    "\r\nCache-Control: no-store\r\nConnection: close\r\n";
  if (r.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (with_body) out += r.body;
  return out;
}

constexpr const char* kText = "text/plain; charset=utf-8";

}  // namespace

// The server's state, touched only by its own thread (the io_context runs on one thread), so
// the list of open connections needs no lock.
struct HttpServer::Impl {
  struct Connection {
    explicit Connection(asio::io_context& ioc) : socket(ioc), timer(ioc) {}
    tcp::socket socket;
    asio::steady_timer timer;
    // Still waiting for its request head: what the cap closes first (oldest first).
    bool waiting = true;
    bool listed = false;
    std::list<std::shared_ptr<Connection>>::iterator self;
  };
  using Ptr = std::shared_ptr<Connection>;

  Impl(const HttpServer& s, Metrics& metrics, std::chrono::milliseconds timeout)
      : server(s), request_timeout(timeout) {
    auto& family = prometheus::BuildCounter()
                       .Name("dualwrite_http_connections_closed_total")
                       .Help(
                           "Connections to the metrics port closed unanswered: no request "
                           "head in time (timeout), to make room under the connection cap "
                           "(cap), or a request head too large (too_large)")
                       .Register(*metrics.registry());
    closed_timeout = &family.Add({{"reason", "timeout"}});
    closed_cap = &family.Add({{"reason", "cap"}});
    closed_too_large = &family.Add({{"reason", "too_large"}});
  }

  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::list<Ptr> open;
  const HttpServer& server;
  std::chrono::milliseconds request_timeout;
  prometheus::Counter* closed_timeout = nullptr;
  prometheus::Counter* closed_cap = nullptr;
  prometheus::Counter* closed_too_large = nullptr;
  std::optional<Clock::time_point> cap_warned;
  std::thread thread;

  void forget(Connection& c) {
    if (!c.listed) return;
    open.erase(c.self);
    c.listed = false;
  }

  // Closes the connection when `after` passes (counting it in `counter`, if any), unless the
  // timer is re-armed or cancelled first.
  void arm(const Ptr& c, std::chrono::milliseconds after, prometheus::Counter* counter) {
    c->timer.expires_after(after);
    c->timer.async_wait([c, counter](const error_code& ec) {
      if (ec) return;  // re-armed or cancelled
      if (counter != nullptr && c->socket.is_open()) counter->Increment();
      error_code ignored;
      c->socket.close(ignored);
    });
  }

  // At the cap: the oldest connection still waiting for its request goes; when every one is
  // busy answering, the new one does.
  void make_room(const Ptr& incoming) {
    Ptr victim = incoming;
    for (const auto& c : open) {
      if (c->waiting) {
        victim = c;
        break;
      }
    }
    closed_cap->Increment();
    if (!cap_warned || Clock::now() - *cap_warned > std::chrono::minutes(1)) {
      cap_warned = Clock::now();
      spdlog::warn(
          "http: {} connections open, the most the metrics port keeps: closing the "
          "oldest one still waiting for its request (dualwrite_http_connections_closed_"
          "total{{reason=\"cap\"}}; logged at most once a minute)",
          kMaxConnections);
    }
    forget(*victim);
    error_code ignored;
    victim->socket.close(ignored);
    victim->timer.cancel();
  }

  awaitable<void> accept_loop() {
    asio::steady_timer pause(ioc);
    while (acceptor.is_open()) {
      auto c = std::make_shared<Connection>(ioc);
      error_code ec;
      co_await acceptor.async_accept(c->socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // Out of descriptors, say: wait instead of spinning on the error.
        spdlog::debug("http: accept: {}", ec.message());
        pause.expires_after(std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (open.size() >= kMaxConnections) make_room(c);
      if (!c->socket.is_open()) continue;
      open.push_back(c);
      c->self = std::prev(open.end());
      c->listed = true;
      asio::co_spawn(ioc, serve(c), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::warn("http: {}", ex.what());
        }
      });
    }
  }

  // One request, one response, then a lingering close (the client's unread bytes must not turn
  // the close into a reset that could discard the response).
  awaitable<void> serve(Ptr c) {
    arm(c, request_timeout, closed_timeout);
    asio::streambuf head(kMaxHeadBytes);
    error_code ec;
    const std::size_t n = co_await asio::async_read_until(
        c->socket, head, "\r\n\r\n", asio::redirect_error(asio::use_awaitable, ec));
    c->waiting = false;
    std::string reply;
    if (ec == asio::error::not_found) {
      closed_too_large->Increment();
      reply = render({431, kText, "request head larger than 8 KiB\n"}, true);
    } else if (ec) {
      // No request in time (the timer closed the socket), or the client went away.
      c->timer.cancel();
      error_code ignored;
      c->socket.close(ignored);
      forget(*c);
      co_return;
    } else {
      reply = respond(std::string_view(static_cast<const char*>(head.data().data()), n));
    }
    arm(c, kWriteTimeout, closed_timeout);
    co_await asio::async_write(c->socket, asio::buffer(reply),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      c->socket.shutdown(tcp::socket::shutdown_send, ec);
      c->waiting = true;  // only draining now: the first to go at the cap
      arm(c, std::chrono::milliseconds(1000), nullptr);
      char sink[512];
      while (!ec) {
        co_await c->socket.async_read_some(asio::buffer(sink),
                                           asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    c->timer.cancel();
    error_code ignored;
    c->socket.close(ignored);
    forget(*c);
  }

  // The response to a request head (request line and headers, through the blank line).
  std::string respond(std::string_view head) const {
    const std::string_view line = head.substr(0, head.find("\r\n"));
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0) {
      return render({400, kText, "malformed request line\n"}, true);
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method != "GET" && method != "HEAD") {
      return render({405, kText, "only GET and HEAD\n"}, true);
    }
    const auto question = target.find('?');
    const std::string path(target.substr(0, question));
    const std::optional<std::string> query =
        question == std::string_view::npos
            ? std::nullopt
            : std::optional<std::string>(target.substr(question + 1));
    try {
      return render(server.handle(path, query ? query->c_str() : nullptr), method == "GET");
    } catch (const std::exception& e) {
      spdlog::warn("http: {} {}: {}", method, path, e.what());
      return render({500, kText, "internal error\n"}, method == "GET");
    }
  }

  // Runs on the server's thread: nothing is accepted or answered after it.
  void close_all() {
    error_code ignored;
    acceptor.close(ignored);
    for (const auto& c : open) {
      c->listed = false;
      c->socket.close(ignored);
      c->timer.cancel();
    }
    open.clear();
  }
};

HttpServer::HttpServer(const std::string& listen, Metrics& metrics, const Health& health,
                       std::chrono::milliseconds request_timeout)
    : metrics_(metrics), health_(health) {
  const auto endpoint = parse_listen(listen);
  if (!endpoint) {
    throw HttpError("[metrics] listen: \"" + listen +
                    "\" is not host:port, [v6address]:port or port");
  }
  auto fail = [&](const std::string& why) {
    return HttpError("cannot listen on " + listen + " ([metrics] listen): " + why);
  };
  std::string why;
  const auto address = address_of(*endpoint, why);
  if (!address) throw fail(why);
  impl_ = std::make_unique<Impl>(*this, metrics, request_timeout);
  const tcp::endpoint bind_to(*address, static_cast<unsigned short>(endpoint->port));
  error_code ec;
  auto& acceptor = impl_->acceptor;
  acceptor.open(bind_to.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(bind_to, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw fail(bind_failure(ec));
  port_ = acceptor.local_endpoint(ec).port();
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("http: the metrics server stopped accepting: {}", ex.what());
    }
  });
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

HttpServer::~HttpServer() {
  if (!impl_) return;
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->close_all(); });
  // Everything was closed: the thread's work runs out and run() returns.
  impl_->thread.join();
}

HttpServer::Response HttpServer::handle(std::string_view path, const char* query) const {
  constexpr const char* text = kText;
  if (path == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.exposition()};
  }
  const bool verbose = has_flag(query, "verbose");
  if (path == "/livez" || path == "/healthz") {
    const auto v = health_.liveness();
    return {v.ok ? 200 : 503, text, v.body("livez", verbose)};
  }
  if (path == "/readyz") {
    const auto v = health_.readiness();
    return {v.ok ? 200 : 503, text, v.body("readyz", verbose)};
  }
  if (path == "/") {
    return {200, "text/html; charset=utf-8",
            "<html><body><h1>dualwrite</h1><a href=\"/metrics\">metrics</a> "
            "<a href=\"/livez?verbose\">livez</a> <a href=\"/readyz?verbose\">readyz</a>"
            "</body></html>\n"};
  }
  return {404, text, "not found\n"};
}

}  // namespace dualwrite::ops
