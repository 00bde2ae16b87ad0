#include "dualwrite/ops/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace dualwrite::ops {
namespace {

struct Reply {
  int status = 0;
  std::string body;
};

Reply get(int port, const std::string& target) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {};
  }
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    response.append(buf, static_cast<std::size_t>(n));
  close(fd);
  Reply r;
  if (response.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(response.substr(9, 3));
  const auto sep = response.find("\r\n\r\n");
  if (sep != std::string::npos) r.body = response.substr(sep + 4);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  Metrics metrics{"9.9.9"};
  Health health{std::chrono::seconds(60), std::chrono::seconds(30)};
  HttpServer server{"127.0.0.1:0", metrics, health};
};

TEST_F(HttpServerTest, BindsAFreePortAndServesMetrics) {
  ASSERT_GT(server.port(), 0);
  const auto r = get(server.port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("dualwrite_build_info{version=\"9.9.9\"} 1"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE dualwrite_changes_total counter"), std::string::npos);
  EXPECT_EQ(get(server.port(), "/nope").status, 404);
}

TEST_F(HttpServerTest, LivezFollowsTheHeartbeat) {
  EXPECT_EQ(get(server.port(), "/livez").status, 503);  // the loop has not turned yet
  health.beat();
  auto r = get(server.port(), "/livez");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = get(server.port(), "/livez?verbose");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("[+]loop ok"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("livez check passed"), std::string::npos) << r.body;
  EXPECT_EQ(get(server.port(), "/healthz").status, 200);
  // A heartbeat older than the limit.
  health.beat(Health::SteadyClock::now() - std::chrono::seconds(31));
  r = get(server.port(), "/livez?verbose=1");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]loop failed"), std::string::npos) << r.body;
}

TEST_F(HttpServerTest, ReadyzFlipsWithConnectionAndLag) {
  health.beat();
  EXPECT_EQ(get(server.port(), "/readyz").status, 503);  // nothing connected yet
  health.update(true, true, 5);
  EXPECT_EQ(get(server.port(), "/readyz").status, 200);
  health.update(true, true, 61);
  auto r = get(server.port(), "/readyz?verbose");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]lag failed: 61.0 s (above 60.0 s)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("[+]source ok"), std::string::npos) << r.body;
  // SIGHUP raised the threshold.
  health.set_ready_max_lag(std::chrono::seconds(120));
  EXPECT_EQ(get(server.port(), "/readyz").status, 200);
  health.update(false, true, 0);
  r = get(server.port(), "/readyz?verbose");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]source failed: not connected"), std::string::npos) << r.body;
  health.update(true, false, 0);
  EXPECT_EQ(get(server.port(), "/readyz").status, 503);
}

TEST_F(HttpServerTest, ReadinessFollowsLagAndProgress) {
  health.beat();
  health.update(true, true, 120);
  EXPECT_EQ(get(server.port(), "/readyz").status, 503);
  health.update(true, true, 0);  // caught up
  EXPECT_EQ(get(server.port(), "/readyz").status, 200);
  // Work pending without progress for longer than ready_max_stall (2 min by default).
  health.update_progress(0, 130);
  auto r = get(server.port(), "/readyz?verbose");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]progress failed: no progress for 130 s"), std::string::npos) << r.body;
  // A target that has not answered for that long is not a healthy target.
  health.update_progress(125, 0);
  r = get(server.port(), "/readyz?verbose");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("[-]target failed: connected, waiting 125 s for an answer"),
            std::string::npos)
      << r.body;
  health.update_progress(0, 0);
  EXPECT_EQ(get(server.port(), "/readyz").status, 200);
}

TEST_F(HttpServerTest, APortInUseIsOneClearError) {
  const std::string listen = "127.0.0.1:" + std::to_string(server.port());
  try {
    HttpServer second(listen, metrics, health);
    FAIL() << "a second server bound the same port";
  } catch (const HttpError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot listen on " + listen + " ([metrics] listen)"), std::string::npos)
        << what;
    EXPECT_NE(what.find("address already in use"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

// Opens a TCP connection to the server and sends `bytes` (maybe nothing), never more: a client
// that went away without closing, or a slow one. Returns the descriptor (-1 on failure).
int idle_connection(int port, const std::string& bytes = "") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{2, 0};  // connect gives up after this (a full listen queue would block it)
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  if (!bytes.empty()) (void)!write(fd, bytes.data(), bytes.size());
  return fd;
}

// Issue 12: 224 half-open connections made /livez time out. However many connections sit idle
// (more than the server keeps), health still answers at once.
TEST_F(HttpServerTest, HealthAnswersPromptlyUnderThreeHundredIdleConnections) {
  health.beat();
  std::vector<int> idle;
  for (int i = 0; i < 300; ++i) {
    const int fd = idle_connection(server.port(), i % 2 == 0 ? "" : "GET /metrics HTTP/1.1\r\n");
    ASSERT_GE(fd, 0) << "connection " << i;
    idle.push_back(fd);
  }
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto r = get(server.port(), "/livez");
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(took, std::chrono::seconds(1))
        << std::chrono::duration<double>(took).count() << " s for /livez";
  }
  const auto m = get(server.port(), "/metrics");
  EXPECT_EQ(m.status, 200);
  // Each idle connection beyond the cap was closed to make room, and counted.
  const std::string cap = "dualwrite_http_connections_closed_total{reason=\"cap\"} ";
  const auto at = m.body.find(cap);
  ASSERT_NE(at, std::string::npos) << m.body;
  EXPECT_GE(std::stod(m.body.substr(at + cap.size())), 300.0 - HttpServer::kMaxConnections);
  for (const int fd : idle) close(fd);
}

// A connection that sends no complete request within the read timeout is closed by the server.
TEST(HttpServer, ClosesAConnectionThatSendsNoRequestInTime) {
  Metrics metrics("x");
  Health health(std::chrono::seconds(60));
  HttpServer server("127.0.0.1:0", metrics, health, std::chrono::milliseconds(300));
  const int fd = idle_connection(server.port(), "GET /livez HT");
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto started = std::chrono::steady_clock::now();
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof buf);  // 0: closed by the server (nothing to say)
  const auto took = std::chrono::steady_clock::now() - started;
  close(fd);
  EXPECT_LE(n, 0);
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_NE(
      metrics.exposition().find("dualwrite_http_connections_closed_total{reason=\"timeout\"} 1"),
      std::string::npos);
}

// A request head larger than the server takes is refused, not buffered without end.
TEST_F(HttpServerTest, RefusesAnOversizedRequestHead) {
  const int fd =
      idle_connection(server.port(), "GET /livez HTTP/1.1\r\nX-Pad: " + std::string(20000, 'a'));
  ASSERT_GE(fd, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    response.append(buf, static_cast<std::size_t>(n));
  close(fd);
  EXPECT_EQ(response.rfind("HTTP/1.1 431 ", 0), 0u) << response;
}

TEST(HttpServer, RejectsAMalformedListenAddress) {
  Metrics metrics("x");
  Health health(std::chrono::seconds(1));
  EXPECT_THROW(HttpServer("localhost:http", metrics, health), HttpError);
  EXPECT_THROW(HttpServer("127.0.0.1:70000", metrics, health), HttpError);
}

}  // namespace
}  // namespace dualwrite::ops
