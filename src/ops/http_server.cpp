#include "dualwrite/ops/http_server.hpp"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

namespace dualwrite::ops {

namespace {

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

// civetweb only says "Failed to setup server ports"; a bind of our own tells why.
std::string bind_failure(const Endpoint& e) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (e.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(e.port));
    if (inet_pton(AF_INET6, e.host.c_str(), &a->sin6_addr) != 1) return "not an IPv6 address";
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(e.port));
    if (e.host.empty()) {
      a->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, e.host.c_str(), &a->sin_addr) != 1) {
      return "not an IPv4 address (use a numeric address, [v6]:port for IPv6)";
    }
    len = sizeof(sockaddr_in);
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string why;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    why = std::strerror(errno);
    for (auto& c : why) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (errno == EADDRINUSE) why += " (another process listens on this port)";
  }
  close(fd);
  return why.empty() ? "civetweb could not set up the port" : why;
}

int log_message(const mg_connection*, const char* message) {
  spdlog::debug("http: {}", message);
  return 1;  // handled: civetweb prints nothing itself
}

int handle_request(mg_connection* conn, void* data) {
  const auto* server = static_cast<const HttpServer*>(data);
  const mg_request_info* info = mg_get_request_info(conn);
  HttpServer::Response r;
  const std::string_view method = info->request_method ? info->request_method : "";
  if (method != "GET" && method != "HEAD") {
    r = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
  } else {
    r = server->handle(info->local_uri ? info->local_uri : "/", info->query_string);
  }
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            r.status, mg_get_response_code_text(conn, r.status), r.content_type.c_str(),
            r.body.size());
  if (method != "HEAD") mg_write(conn, r.body.data(), r.body.size());
  return r.status;
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

}  // namespace

HttpServer::HttpServer(const std::string& listen, Metrics& metrics, const Health& health)
    : metrics_(metrics), health_(health) {
  const auto endpoint = parse_listen(listen);
  if (!endpoint) {
    throw HttpError("[metrics] listen: \"" + listen +
                    "\" is not host:port, [v6address]:port or port");
  }
  static std::once_flag init_once;
  std::call_once(init_once, [] { mg_init_library(0); });

  const char* options[] = {"listening_ports",    listen.c_str(), "num_threads", "2",
                           "request_timeout_ms", "10000",        nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = log_message;
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = options;
  char text[256] = {};
  unsigned code = 0;
  mg_error_data error{&code, text, sizeof text};
  ctx_ = mg_start2(&init, &error);
  if (!ctx_) {
    throw HttpError("cannot listen on " + listen +
                    " ([metrics] listen): " + bind_failure(*endpoint));
  }
  mg_set_request_handler(ctx_, "/", handle_request, this);
  mg_server_port ports[4];
  const int n = mg_get_server_ports(ctx_, 4, ports);
  port_ = n > 0 ? ports[0].port : endpoint->port;
}

HttpServer::~HttpServer() {
  if (ctx_) mg_stop(ctx_);
}

HttpServer::Response HttpServer::handle(std::string_view path, const char* query) const {
  constexpr const char* text = "text/plain; charset=utf-8";
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
