// SPDX-License-Identifier: Apache-2.0
// anycastctl as an operator runs it, against a ControlServer run by the test: what it prints and
// the exit statuses scripts branch on.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <fstream>
#include <atomic>
#include <iterator>
#include <mutex>

#include "ctl/control_server.h"
#include "ctl/status_json.h"
#include "ctl_test_util.h"
#include "sample_status.h"

namespace anycastd::ctl {
namespace {

using namespace ctl_test;
using nlohmann::json;

RunResult ctl(const std::vector<std::string>& args) { return run_program(ANYCASTCTL_PATH, args); }

struct AnycastctlFixture : ::testing::Test {
  TempDir dir;
  std::string path = dir / "anycastd.sock";
  std::mutex mutex;
  std::vector<std::string> log;
  std::atomic<bool> nic_without_report{false};  // as a daemon older than the nic command would answer
  std::atomic<bool> odd_group_retiring{false};  // as after a reload that removed it, while it drains

  // capture: a daemon's stream as ctl/capture_stream.h says, written here by hand: one frame,
  // then the end record unless the test wants the stream cut.
  bool cut_capture = false;

  Reply handle(const Request& r) {
    {
      std::lock_guard lock(mutex);
      log.push_back(std::string(to_string(r.command)) + (r.group.empty() ? "" : " " + r.group));
    }
    static const std::vector<std::string> groups{"dns", "ntp"};
    switch (r.command) {
      case Command::status: {
        auto status = sample_status();
        for (auto& g : status.groups)
          if (g.name == kOddName) g.retiring = odd_group_retiring;
        auto reply = ok_reply();
        reply["status"] = status_to_json(status);
        return reply;
      }
      case Command::drain:
      case Command::undrain: {
        select_groups(r, groups);
        return ok_reply(r.group + ": " + (r.command == Command::drain ? "drained" : "undrained"));
      }
      case Command::check: select_groups(r, groups); return ok_reply();
      case Command::reload: return error_reply("/etc/anycastd/anycastd.toml:3: unknown key \"x\"; the old configuration stays");
      case Command::restart: return ok_reply("re-executing /usr/sbin/anycastd");
      case Command::nic: {
        auto reply = ok_reply();
        if (!nic_without_report)
          reply["nic"] = json::parse(R"([{"name":"eth0","role":"uplink","state":"attached","xdp_mode":"native",
            "driver":{"driver":"ice","version":"6.18","firmware":"4.40","bus":"0000:3b:00.0"},"mtu":1500,
            "channels":{"not_reported":"not reported by the driver"},"xdp_features":{"flags":9,"names":["basic","xsk-zerocopy"]},
            "irqs":[{"irq":40,"cpus":"0"},{"irq":41,"cpus":"1"}],"tune":["see https://docs.kernel.org/"]}])");
        return reply;
      }
      case Command::capture: {
        if (r.capture.filter == "port 9") return error_reply("a capture is already running: one at a time");
        return Reply(ok_reply("capturing"), [this](posix_io::UniqueFd fd) {
          if (!fd) return;
          // length 20 = type + 14 fixed bytes + 5 frame bytes; 3 s + 7 ns; wire length 60; answer, echo
          std::string stream("\x14\0\0\0" "F" "\x07\x5e\xd0\xb2\0\0\0\0" "\x3c\0\0\0" "\x01\x00" "hello", 24);
          if (!cut_capture) {
            const std::string end = R"({"ended":"count","frames":1,"requests":0,"answers":1,"lost":2})";
            stream += std::string("\0\0\0\0", 4) + "E" + end;
            stream[stream.size() - end.size() - 5] = static_cast<char>(end.size() + 1);
          }
          ::send(fd.get(), stream.data(), stream.size(), MSG_NOSIGNAL);
        });
      }
    }
    return error_reply("?");
  }

  ControlServer server{path, [this](const Request& r) { return handle(r); }};
  ServeThread loop{server.fd(), [this] { server.on_readable(); }};

  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return log;
  }
};

TEST_F(AnycastctlFixture, StatusForPeople) {
  auto r = ctl({"--socket", path, "status"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("\ndns             up        2025-11-25T22:00:00.000Z (10m 0s ago)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("group dns: up since"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("draining"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  passed:    not_udp 2, port_unknown 1\n"), std::string::npos) << r.out;
}

TEST_F(AnycastctlFixture, StatusJsonIsPassedThrough) {
  auto r = ctl({"status", "--json", "--socket=" + path});
  EXPECT_EQ(r.status, 0) << r.err;
  json expected = ok_reply();
  expected["status"] = status_to_json(sample_status());
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line, as the daemon sent it";
  EXPECT_EQ(json::parse(r.out), expected);
}

// What the bash completion offers after drain, undrain and check.
TEST_F(AnycastctlFixture, GroupsOnePerLine) {
  auto r = ctl({"--socket", path, "groups"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string("dns\n") + kOddName + "\n");
  odd_group_retiring = true;
  r = ctl({"--socket", path, "groups"});
  EXPECT_EQ(r.out, "dns\n") << "a retiring group cannot be drained: not offered";
  r = ctl({"--socket", path, "groups", "dns"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "anycastctl: groups takes no argument (got \"dns\")\nTry 'anycastctl --help'.\n");
  EXPECT_EQ(seen(), (std::vector<std::string>{"status", "status"}));
}

TEST_F(AnycastctlFixture, Commands) {
  auto r = ctl({"--socket", path, "drain", "dns"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "dns: drained\n");
  r = ctl({"--socket", path, "undrain", "all"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "all: undrained\n");
  r = ctl({"--socket", path, "check", "ntp"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "check ntp: ok\n");
  r = ctl({"--socket", path, "restart"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "re-executing /usr/sbin/anycastd\n");
  // A group named like an option, after "--".
  r = ctl({"--socket", path, "drain", "--", "-odd"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(seen(), (std::vector<std::string>{"drain dns", "undrain all", "check ntp", "restart", "drain -odd"}));
}

TEST_F(AnycastctlFixture, DaemonErrorsExit1WithTheReason) {
  auto r = ctl({"--socket", path, "drain", "dsn"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "anycastctl: no group named \"dsn\" (groups: dns, ntp)\n");
  r = ctl({"--socket", path, "reload"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "anycastctl: /etc/anycastd/anycastd.toml:3: unknown key \"x\"; the old configuration stays\n");
  r = ctl({"--socket", path, "--json", "reload"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(json::parse(r.out)["ok"], false);
}

TEST_F(AnycastctlFixture, NicForPeopleAndAsJson) {
  auto r = ctl({"--socket", path, "nic"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "eth0 (uplink, attached)\n"
            "  driver:        ice 6.18, firmware 4.40, bus 0000:3b:00.0\n"
            "  mtu:           1500\n"
            "  queues:        not reported by the driver\n"
            "  rings:         not reported\n"
            "  xdp mode:      native\n"
            "  xdp features:  basic xsk-zerocopy\n"
            "  irqs:          40->0 41->1\n"
            "  tune:\n"
            "    - see https://docs.kernel.org/\n");
  r = ctl({"--socket", path, "nic", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["nic"][0]["driver"]["driver"], "ice");
}

TEST_F(AnycastctlFixture, NicReplyWithoutAReportExits3) {
  nic_without_report = true;
  auto r = ctl({"--socket", path, "nic"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err.rfind("anycastctl: anycastd's nic reply has no report in it", 0), 0u) << r.err;
}

TEST_F(AnycastctlFixture, UsageErrorsExit2) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {{}, "no command given"},
           {{"explode"}, "unknown command \"explode\""},
           {{"drain"}, "drain needs a group: a group's name or \"all\""},
           {{"drain", "a", "b"}, "drain takes one group, not 2"},
           {{"status", "dns"}, "status takes no argument (got \"dns\")"},
           {{"nic", "eth0"}, "nic takes no argument (got \"eth0\")"},
           {{"--frobnicate", "status"}, "unknown option --frobnicate"},
           {{"status", "--socket"}, "--socket needs a value"},
           {{"--timeout", "soon", "status"}, "--timeout wants a number of seconds from 0.001 to 3600, not \"soon\""},
       }) {
    std::vector<std::string> args{"--socket", path};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = ctl(args);
    EXPECT_EQ(r.status, 2) << c.message;
    EXPECT_EQ(r.err, "anycastctl: " + c.message + "\nTry 'anycastctl --help'.\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_TRUE(seen().empty()) << "a usage error reached the daemon";
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(AnycastctlFixture, CaptureWritesThePcapTcpdumpReads) {
  const std::string file = dir / "out.pcap";
  auto r = ctl({"--socket", path, "capture", "-w", file, "--filter", "vip 192.0.2.1 and port 7", "--count", "4"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "capture: 1 frames (0 requests, 1 answers), 2 lost; ended: count\n");
  // The pcap file header (nanosecond magic, 2.4, snaplen 16384, Ethernet), then the record:
  // 3 s, 7 ns, 5 bytes captured of 60 on the wire, the bytes.
  const std::string want(
      "\x4d\x3c\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\x00\x40\0\0\x01\0\0\0"
      "\x03\0\0\0\x07\0\0\0\x05\0\0\0\x3c\0\0\0hello",
      45);
  EXPECT_EQ(file_bytes(file), want);
  EXPECT_EQ(seen().back(), "capture");
}

TEST_F(AnycastctlFixture, CaptureCutOrRefused) {
  cut_capture = true;
  const std::string file = dir / "cut.pcap";
  auto r = ctl({"--socket", path, "capture", "-w", file});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("closed the capture without its summary"), std::string::npos) << r.err;
  EXPECT_EQ(file_bytes(file).size(), 24u + 16u + 5u) << "the frames that came are kept, whole";

  const std::string refused = dir / "refused.pcap";
  r = ctl({"--socket", path, "capture", "-w", refused, "--filter", "port 9"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "anycastctl: capture: a capture is already running: one at a time\n");
  EXPECT_FALSE(std::ifstream(refused).good()) << "a refused capture leaves no file";
  r = ctl({"--socket", path, "capture", "-w", refused, "--filter", "vip nope"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("capture filter: vip:"), std::string::npos) << r.err;
  r = ctl({"--socket", dir / "nobody.sock", "capture", "-w", refused});
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("is anycastd running?"), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(refused).good());
}

TEST(Anycastctl, HelpAndVersion) {
  auto r = ctl({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("usage: anycastctl [--socket PATH]", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("exit status: 0 done, 1 anycastd refused"), std::string::npos);
  r = ctl({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, std::string("anycastctl ") + ANYCASTD_VERSION + "\n");
}

TEST(Anycastctl, NoDaemonExits3NamingTheSocketAndTheError) {
  TempDir dir;
  auto r = ctl({"--socket", dir / "none.sock", "status"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "anycastctl: cannot connect to anycastd on " + (dir / "none.sock") +
                       ": No such file or directory (is anycastd running?)\n");

  // A socket file left by a dead daemon.
  std::string stale = dir / "stale.sock";
  {
    UniqueFd dead(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, stale.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(dead.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  r = ctl({"--socket", stale, "drain", "all"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "anycastctl: cannot connect to anycastd on " + stale + ": Connection refused (is anycastd running?)\n");
}

TEST(Anycastctl, SilentDaemonExits3AfterTheTimeout) {
  TempDir dir;
  std::string path = dir / "wedged.sock";
  // Listens, never accepts: a daemon wedged elsewhere.
  UniqueFd wedged(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(wedged.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(wedged.get(), 4), 0);
  auto started = std::chrono::steady_clock::now();
  auto r = ctl({"--socket", path, "--timeout", "0.3", "status"});
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err, "anycastctl: no reply from anycastd on " + path + " within 300 ms\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(Anycastctl, ReplyThatIsNotJsonExits3) {
  TempDir dir;
  std::string path = dir / "odd.sock";
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  std::thread peer([&] {
    UniqueFd c(::accept(listener.get(), nullptr, nullptr));
    char buf[256];
    [[maybe_unused]] auto n = ::read(c.get(), buf, sizeof buf);
    send_text(c.get(), "200 OK\n");
  });
  auto r = ctl({"--socket", path, "status"});
  peer.join();
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.err.rfind("anycastctl: anycastd on " + path + " sent a reply that is not JSON: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace anycastd::ctl
