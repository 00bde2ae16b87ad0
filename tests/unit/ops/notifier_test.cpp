// The notify protocol against a fake NOTIFY_SOCKET: a unix datagram socket this test binds.
#include "dualwrite/ops/notifier.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace dualwrite::ops {
namespace {

class FakeNotifySocket : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/dw-notify-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = dir_ + "/notify";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{0, 200'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    setenv("WATCHDOG_USEC", "200000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    if (fd_ >= 0) close(fd_);
    std::filesystem::remove_all(dir_);
  }
  // The next datagram, or "" after 200 ms.
  std::string receive() {
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  std::string dir_, path_;
  int fd_ = -1;
};

TEST_F(FakeNotifySocket, ReadyStatusWatchdogStopping) {
  Notifier n;
  ASSERT_TRUE(n.enabled());
  ASSERT_TRUE(n.watchdog_interval());
  EXPECT_EQ(n.watchdog_interval()->count(), 200'000);

  n.ready("streaming slot dualwrite");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=streaming slot dualwrite");
  n.status("applied 0/16B3748, lag 0 B");
  EXPECT_EQ(receive(), "STATUS=applied 0/16B3748, lag 0 B");
  n.status("applied 0/16B3748, lag 0 B");  // unchanged: not sent again
  EXPECT_EQ(receive(), "");

  const auto t0 = Notifier::SteadyClock::now();
  EXPECT_TRUE(n.watchdog(t0));
  EXPECT_EQ(receive(), "WATCHDOG=1");
  EXPECT_FALSE(n.watchdog(t0 + std::chrono::milliseconds(50)));  // within half the interval
  EXPECT_EQ(receive(), "");
  EXPECT_TRUE(n.watchdog(t0 + std::chrono::milliseconds(100)));
  EXPECT_EQ(receive(), "WATCHDOG=1");

  n.reloading();
  EXPECT_EQ(receive(), "RELOADING=1");
  n.stopping("stopping at 0/16B3748");
  EXPECT_EQ(receive(), "STOPPING=1\nSTATUS=stopping at 0/16B3748");
}

TEST_F(FakeNotifySocket, NoWatchdogWhenItIsForAnotherProcess) {
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  Notifier n;
  EXPECT_TRUE(n.enabled());
  EXPECT_FALSE(n.watchdog_interval());
  EXPECT_FALSE(n.watchdog());
  EXPECT_EQ(receive(), "");
}

TEST(Notifier, IsANoOpWithoutNotifySocket) {
  unsetenv("NOTIFY_SOCKET");
  Notifier n;
  EXPECT_FALSE(n.enabled());
  n.ready("x");
  n.status("y");
  EXPECT_FALSE(n.watchdog());
  n.stopping();
}

}  // namespace
}  // namespace dualwrite::ops
