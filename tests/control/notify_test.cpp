// SPDX-License-Identifier: Apache-2.0
// The notify protocol against a listening datagram socket, as a service manager would hold it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "systemd/notify.h"

namespace anycastd {
namespace {

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ac-notify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/notify.sock";
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void TearDown() override {
    close(fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
  std::string receive() {
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }
  std::string dir, path;
  int fd = -1;
};

TEST_F(NotifyTest, SendsStatesToTheSocket) {
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ServiceNotifier n;
  ASSERT_TRUE(n.enabled());
  EXPECT_TRUE(n.send("READY=1\nSTATUS=serving"));
  EXPECT_EQ(receive(), "READY=1\nSTATUS=serving");
  EXPECT_TRUE(n.send("STOPPING=1"));
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(NotifyTest, WatchdogIntervalIsHalfTheTimeoutAndOnlyForUs) {
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  setenv("WATCHDOG_USEC", "4000000", 1);
  EXPECT_EQ(ServiceNotifier().watchdog_interval(), std::chrono::microseconds(2000000));
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_FALSE(ServiceNotifier().watchdog_interval()) << "meant for another process";
}

TEST_F(NotifyTest, SilentWithoutAManager) {
  ServiceNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.send("READY=1"));
}

TEST_F(NotifyTest, ReportsAnUnreachableSocket) {
  setenv("NOTIFY_SOCKET", (dir + "/nobody.sock").c_str(), 1);
  EXPECT_FALSE(ServiceNotifier().send("READY=1"));
}

}  // namespace
}  // namespace anycastd
