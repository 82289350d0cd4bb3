// SPDX-License-Identifier: Apache-2.0
// anycastd's supervisor of the DPDK datapath process, where start-up goes wrong: each failure is
// an error that says what happened, and no process is left behind. (The datapath running, dying
// and being handed over is the namespace lab lab.dpdk.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "datapath/dpdk/dpdk_datapath.h"
#include "datapath/dpdk/port_links.h"

namespace anycastd {
namespace {

class DpdkSupervisorTest : public ::testing::Test {
 protected:
  DatapathConfig config(const std::string& binary) {
    DatapathConfig c;
    c.kind = DatapathKind::dpdk;
    c.dpdk.binary = binary;
    c.dpdk.lcores = "0-1";
    c.dpdk.ports[0].exception_interface = "acsup" + std::to_string(getpid() % 100000);
    c.dpdk.start_timeout = Millis{1500};
    return c;
  }
  std::string start_error(const DatapathConfig& c) {
    try {
      DpdkDatapath datapath(c, netlink_, false);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "(started)";
  }
  // A stand-in datapath: a script that never says hello, and records its pid.
  std::string silent_binary() {
    std::string path = ::testing::TempDir() + "silent-datapath-" + std::to_string(getpid());
    std::ofstream(path) << "#!/bin/sh\necho $$ > " << path << ".pid\nexec sleep 30\n";
    chmod(path.c_str(), 0755);
    return path;
  }
  NetlinkSocket netlink_;
};

// Found missing before anything is started (datapath/dpdk/dpdk_binary.h).
TEST_F(DpdkSupervisorTest, MissingBinaryIsAStartUpError) {
  std::string error = start_error(config("/nonexistent/anycastd-dpdk"));
  EXPECT_NE(error.find("datapath.kind = \"dpdk\" runs /nonexistent/anycastd-dpdk: No such file or directory"),
            std::string::npos)
      << error;
}

TEST_F(DpdkSupervisorTest, DatapathFailingItsSetupIsAStartUpError) {
  DatapathConfig c = config(ANYCASTD_DPDK_BINARY);
  c.dpdk.eal_args = {"--no-such-eal-flag"};
  std::string error = start_error(c);
  EXPECT_NE(error.find("anycastd-dpdk exited with status 1 during start-up"), std::string::npos)
      << "1: its set-up failed (2 would be a command line it refused): " << error;
}

TEST_F(DpdkSupervisorTest, SilentDatapathTimesOutAndIsKilled) {
  std::string binary = silent_binary();
  std::string error = start_error(config(binary));
  EXPECT_NE(error.find("did not report ready within 1500 ms"), std::string::npos) << error;
  EXPECT_NE(error.find("killed, was killed by SIGKILL"), std::string::npos) << error;
  std::ifstream pidfile(binary + ".pid");
  pid_t pid = 0;
  ASSERT_TRUE(pidfile >> pid) << "the stand-in never ran";
  EXPECT_NE(kill(pid, 0), 0) << "the silent datapath (pid " << pid << ") is still running";
  std::remove(binary.c_str());
  std::remove((binary + ".pid").c_str());
}

// The link part of the datapath check: in place while any uplink's link is up, naming the ones down.
TEST(DpdkPortLinks, InPlaceWhileAnyLinkIsUp) {
  using channel::PortLink;
  InPlace one_up = port_links_verdict({PortLink{0, 0, 1, 10000}}, 1);
  EXPECT_TRUE(one_up.ok);
  EXPECT_EQ(one_up.detail, "1 DPDK workers polling");
  InPlace one_down = port_links_verdict({PortLink{0, 0, 0, 0}}, 1);
  EXPECT_FALSE(one_down.ok);
  EXPECT_EQ(one_down.detail, "the port's link is down");
  InPlace b_down = port_links_verdict({PortLink{0, 0, 1, 10000}, PortLink{1, 0, 0, 0}}, 2);
  EXPECT_TRUE(b_down.ok) << "uplink A still answers";
  EXPECT_EQ(b_down.detail, "2 DPDK workers polling; link down on port 1");
  InPlace both_down = port_links_verdict({PortLink{0, 0, 0, 0}, PortLink{1, 0, 0, 0}}, 2);
  EXPECT_FALSE(both_down.ok);
  EXPECT_EQ(both_down.detail, "every port's link is down");
  EXPECT_FALSE(port_links_verdict({}, 1).ok) << "no link reported: not in place";
}

}  // namespace
}  // namespace anycastd
