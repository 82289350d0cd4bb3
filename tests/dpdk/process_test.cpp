// SPDX-License-Identifier: Apache-2.0
// anycastd-dpdk as a process, as anycastd runs it: in a network namespace of its own, its port a
// net_af_xdp device on the edge's veth (so the edge kernel never sees the port's traffic), the
// TAP exception path, a socket pair from this test as the channel. A client namespace on the
// other end of the veth sends real traffic.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "channel.h"
#include "test_tables.h"

namespace anycastd::test {
namespace {

namespace ch = channel;
using namespace std::chrono_literals;

int sh(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string capture(const std::string& command) {
  std::string out;
  FILE* p = popen(("( " + command + " ) 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

std::string strip_spaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

// Client 198.51.100.1 / 2001:db8:ffff::1 on veth-c; the edge's veth-e belongs to DPDK, the
// edge's own addresses go on the TAP interface, the VIPs on its loopback.
class DpdkProcess : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the DPDK process test builds network namespaces: run it as root";
    ASSERT_TRUE(std::filesystem::exists(AC_DPDK_BINARY)) << AC_DPDK_BINARY;
    const std::string tag = "acdp-" + std::to_string(getpid()) + "-" + std::to_string(++instance_);
    client_ = tag + "-client";
    edge_ = tag + "-edge";
    prefix_ = "acdp" + std::to_string(getpid()) + "_" + std::to_string(instance_);
    for (const std::string& cmd : {
             "ip netns add " + client_,
             "ip netns add " + edge_,
             "ip -n " + client_ + " link add veth-c type veth peer name veth-e netns " + edge_,
             "ip -n " + client_ + " link set lo up",
             "ip -n " + edge_ + " link set lo up",
             "ip -n " + client_ + " addr add 198.51.100.1/24 dev veth-c",
             "ip -n " + client_ + " addr add 2001:db8:ffff::1/64 dev veth-c nodad",
             "ip -n " + client_ + " link set veth-c up",
             "ip netns exec " + client_ + " ethtool -K veth-c tx off",
             "ip -n " + client_ + " route add 192.0.2.10/32 via 198.51.100.2",
             "ip -n " + client_ + " route add 2001:db8::10/128 via 2001:db8:ffff::2",
             "ip -n " + edge_ + " link set veth-e up",
             "ip -n " + edge_ + " addr add 192.0.2.10/32 dev lo",
             "ip -n " + edge_ + " addr add 2001:db8::10/128 dev lo",
         })
      ASSERT_EQ(sh(cmd), 0) << cmd;
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (const std::string& ns : {edge_, client_}) {
      if (ns.empty()) continue;
      std::istringstream pids(capture("ip netns pids " + ns));
      for (std::string pid; pids >> pid;) sh("kill -9 " + pid);
      sh("ip netns del " + ns);
    }
    std::error_code ec;
    std::filesystem::remove_all("/var/run/dpdk/" + prefix_, ec);
    // The datapath's log stays for a failed test to be read; a passed one leaves nothing behind.
    if (!log_.empty() && !HasFailure()) std::filesystem::remove(log_, ec);
  }

  std::string edge(const std::string& cmd) { return "ip netns exec " + edge_ + " " + cmd; }
  std::string client(const std::string& cmd) { return "ip netns exec " + client_ + " " + cmd; }

  // Starts the datapath with the channel on its fd 3 and waits for its hello.
  void start() {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
    channel_ = posix_io::UniqueFd(fds[0]);
    log_ = "/tmp/" + prefix_ + ".log";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(fds[1], 3);  // dup2 clears CLOEXEC on the copy
      int log = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      std::vector<std::string> args = {"ip", "netns", "exec", edge_, AC_DPDK_BINARY, "--channel-fd", "3",
                                       "--exception", "tap", "--exception-interface", "acdp0", "--",
                                       "--no-huge", "-m", "1024", "--no-pci", "--file-prefix=" + prefix_,
                                       "-l", "0-1", "--vdev=net_af_xdp0,iface=veth-e", "--log-level=lib.eal:error"};
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("ip", argv.data());
      _exit(127);
    }
    close(fds[1]);
    std::string error;
    std::optional<ch::Message> m = ch::receive_message(channel_.get(), posix_io::deadline_in(30s), error);
    ASSERT_TRUE(m) << "no hello: " << error << "\n" << log();
    ASSERT_EQ(m->type, ch::Type::hello);
    ASSERT_EQ(m->payload.size(), sizeof hello_);
    std::memcpy(&hello_, m->payload.data(), sizeof hello_);
  }

  std::string log() { return capture("cat " + log_); }

  ch::Message ask(ch::Type type, const void* payload, std::size_t length, int fd = -1) {
    EXPECT_EQ(ch::send_message(channel_.get(), type, ++sequence_, payload, length, fd), "");
    for (;;) {  // past the heartbeats a slow request brings
      std::string error;
      std::optional<ch::Message> m = ch::receive_message(channel_.get(), posix_io::deadline_in(10s), error);
      EXPECT_TRUE(m) << error;
      if (!m) return ch::Message{};
      if (m->type != ch::Type::working) return std::move(*m);
    }
  }

  // Waits for the datapath to exit; its exit status, or -1 if it did not in time.
  int wait_exit(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }

  ch::LcoreStats stats() {
    ch::Message m = ask(ch::Type::stats, nullptr, 0);
    EXPECT_EQ(m.type, ch::Type::stats_reply);
    ch::StatsReply head{};
    ch::LcoreStats l{};
    if (m.payload.size() >= sizeof head + sizeof l) {
      std::memcpy(&head, m.payload.data(), sizeof head);
      EXPECT_EQ(head.lcores, 1u);
      std::memcpy(&l, m.payload.data() + sizeof head, sizeof l);
    }
    return l;
  }

  std::uint64_t edge_udp_in() {
    std::string snmp = capture(edge("cat /proc/net/snmp"));
    std::istringstream in(snmp);
    std::string header, values;
    while (std::getline(in, header) && std::getline(in, values))
      if (header.rfind("Udp:", 0) == 0) {
        std::istringstream v(values);
        std::string label;
        std::uint64_t in_datagrams = 0;
        v >> label >> in_datagrams;
        return in_datagrams;
      }
    return ~0ull;
  }

  static inline int instance_ = 0;
  std::string client_, edge_, prefix_, log_;
  pid_t pid_ = -1;
  posix_io::UniqueFd channel_;
  ch::Hello hello_{};
  std::uint32_t sequence_ = 0;
};

std::string telemetry(const std::string& prefix, const std::string& command) {
  std::string path = "/var/run/dpdk/" + prefix + "/dpdk_telemetry.v2";
  posix_io::UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect " + path + " failed";
  char buffer[16384];
  if (recv(fd.get(), buffer, sizeof buffer, 0) <= 0) return "no greeting";
  if (send(fd.get(), command.data(), command.size(), 0) < 0) return "send failed";
  ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "no reply";
}

TEST_F(DpdkProcess, AnswersPassesStatsTelemetryAndStopsOnSigterm) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_EQ(hello_.ports, 1);
  const ch::HelloPort& port = hello_.port[0];
  EXPECT_EQ(ch::text_of(port.driver), "net_af_xdp");
  EXPECT_EQ(ch::text_of(port.profile), "net_af_xdp");
  EXPECT_EQ(ch::text_of(hello_.exception), "tap");
  EXPECT_EQ(ch::text_of(port.exception_interface), "acdp0");
  EXPECT_EQ(port.queues, 1);
  EXPECT_EQ(hello_.queues, 1);

  // The TAP interface: up (the PMD brings it up with the port), carrying the port's MAC.
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", port.mac[0], port.mac[1], port.mac[2],
                port.mac[3], port.mac[4], port.mac[5]);
  std::string veth_mac = capture("ip -n " + edge_ + " -br link show veth-e");
  EXPECT_NE(veth_mac.find(mac), std::string::npos) << "the port's MAC is veth-e's: " << veth_mac;
  std::string tap = capture("ip -n " + edge_ + " link show acdp0");
  EXPECT_NE(tap.find(mac), std::string::npos) << tap;
  EXPECT_NE(tap.find(",UP"), std::string::npos) << tap;

  // The edge's own addresses go on the kernel side of the exception path (control's job).
  ASSERT_EQ(sh("ip -n " + edge_ + " addr add 198.51.100.2/24 dev acdp0"), 0);
  ASSERT_EQ(sh("ip -n " + edge_ + " addr add 2001:db8:ffff::2/64 dev acdp0 nodad"), 0);

  posix_io::UniqueFd image = ch::memfd_with(ch::encode_tables(make_tables("default")));
  ch::Message ok = ask(ch::Type::tables, nullptr, 0, image.get());
  ASSERT_EQ(ok.type, ch::Type::ok) << std::string(ok.payload.begin(), ok.payload.end());

  // The edge's own address, not a VIP: ARP/ND and the datagrams go through the exception path,
  // the edge kernel has no socket on port 7 and answers ICMP port unreachable, DPDK carries it
  // back. (No ping on the machine: this is the same round trip with UDP.)
  const std::string echo = std::string(AC_LAB_DIR) + "/udp_echo.py";
  for (const char* own : {"198.51.100.2", "2001:db8:ffff::2"}) {
    std::string out = capture(client("/usr/bin/python3 " + echo + " " + own + " 7 --count 3 --expect any"));
    EXPECT_NE(out.find("refused=3"), std::string::npos) << own << ": " << out << log();
  }
  for (const char* own : {"198.51.100.2", "2001:db8:ffff::2"}) {
    std::string neigh = capture("ip -n " + client_ + " neigh show " + own);
    EXPECT_NE(neigh.find(std::string("lladdr ") + mac), std::string::npos)
        << "ARP/ND for " << own << " resolved to the port's MAC through the kernel: " << neigh;
  }

  // UDP echo to the VIPs, answered by DPDK: the edge kernel's UDP counter stays still.
  const std::uint64_t udp_before = edge_udp_in();
  std::string v4 = capture(client("/usr/bin/python3 " + echo + " 192.0.2.10 7 --count 10 --expect all"));
  EXPECT_NE(v4.find("answered=10 "), std::string::npos) << v4 << log();
  std::string v6 = capture(client("/usr/bin/python3 " + echo + " 2001:db8::10 7 --count 10 --expect all"));
  EXPECT_NE(v6.find("answered=10 "), std::string::npos) << v6 << log();
  EXPECT_EQ(edge_udp_in(), udp_before) << "the edge kernel saw the echo traffic";

  // TCP to a server on the VIP alias: through the exception path both ways.
  sh(edge("sh -c 'socat TCP4-LISTEN:8080,bind=192.0.2.10,reuseaddr,fork PIPE & echo $! > /tmp/" + prefix_ + ".socat'"));
  std::this_thread::sleep_for(300ms);
  std::string tcp = capture(client("/usr/bin/python3 " + std::string(AC_LAB_DIR) + "/tcp_probe.py 192.0.2.10 8080"));
  EXPECT_NE(tcp.find("connected=1 echoed=1"), std::string::npos) << tcp;
  sh("kill $(cat /tmp/" + prefix_ + ".socat); rm -f /tmp/" + prefix_ + ".socat");

  ch::LcoreStats s = stats();
  EXPECT_GE(s.core.answered[AC_SVC_ECHO], 20u);
  EXPECT_GE(s.core.pass[AC_PASS_NOT_IP], 1u) << "ARP passed to the kernel";
  EXPECT_GE(s.core.pass[AC_PASS_NOT_VIP], 6u) << "datagrams to the edge's own address";
  EXPECT_GE(s.core.pass[AC_PASS_NOT_UDP], 1u) << "TCP to the VIP";
  EXPECT_GE(s.datapath.from_kernel, 8u) << "ARP/ND replies and ICMP errors from the kernel";
  EXPECT_EQ(s.datapath.tx_answers, s.core.answered[AC_SVC_ECHO]);
  EXPECT_GT(s.loops, 0u);

  std::string json = strip_spaces(telemetry(prefix_, "/anycastd/stats"));
  EXPECT_NE(json.find("\"answered/echo\":" + std::to_string(s.core.answered[AC_SVC_ECHO])), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"datapath/from_kernel\":"), std::string::npos) << json;

  // A probe: the core on the live tables, with the workers' heartbeat.
  std::this_thread::sleep_for(100ms);
  ch::Message probe = ask(ch::Type::probe, "\x01", 1);
  ASSERT_EQ(probe.type, ch::Type::probe_reply);
  ch::ProbeReply pr{};
  std::memcpy(&pr, probe.payload.data(), sizeof pr);
  EXPECT_EQ(pr.action, AC_ACT_PASS);
  EXPECT_EQ(pr.reason, AC_PASS_TRUNCATED);

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  EXPECT_EQ(wait_exit(20s), 0) << log();
  EXPECT_NE(sh("ip -n " + edge_ + " link show acdp0"), 0) << "the TAP interface outlived the datapath";
  EXPECT_EQ(capture("ip -n " + edge_ + " link show veth-e").find("xdp"), std::string::npos)
      << "the AF_XDP program stayed on veth-e";
  EXPECT_NE(log().find("stopped cleanly"), std::string::npos) << log();
}

TEST_F(DpdkProcess, ExitsWhenTheChannelCloses) {
  ASSERT_NO_FATAL_FAILURE(start());
  channel_.reset();  // control is gone
  EXPECT_EQ(wait_exit(20s), 0) << log();
  EXPECT_NE(log().find("the channel to anycastd is gone"), std::string::npos) << log();
  EXPECT_NE(sh("ip -n " + edge_ + " link show acdp0"), 0) << "the TAP interface outlived the datapath";
}

TEST_F(DpdkProcess, BadSetupIsFatalAndClear) {
  // Two ports and one exception interface: which port's traffic the kernel should see on it is
  // not for the datapath to guess.
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
  posix_io::UniqueFd a(fds[0]), b(fds[1]);
  std::string out = capture(edge(std::string(AC_DPDK_BINARY) + " --channel-fd " + std::to_string(b.get()) +
                                 " -- --no-huge -m 512 --no-pci --file-prefix=" + prefix_ +
                                 " --lcores 0-1,2@1 --vdev=net_null0 --vdev=net_null1 --log-level=lib.eal:error; echo rc=$?"));
  EXPECT_NE(out.find("probed 2 ethdev ports but 1 exception interface is named"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  // Two ports and one worker: each port needs workers of its own.
  out = capture(edge(std::string(AC_DPDK_BINARY) + " --channel-fd " + std::to_string(b.get()) +
                     " --exception-interface acx0 --exception-interface acx1 -- --no-huge -m 512 --no-pci --file-prefix=" +
                     prefix_ + " -l 0-1 --vdev=net_null0 --vdev=net_null1 --log-level=lib.eal:error; echo rc=$?"));
  EXPECT_NE(out.find("EAL has 2 lcores (1 worker) for 2 ports"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  out = capture(std::string(AC_DPDK_BINARY) + " --channel-fd 3 -- --no-such-eal-flag; echo rc=$?");
  EXPECT_NE(out.find("EAL initialisation failed"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  out = capture(std::string(AC_DPDK_BINARY) + " --burst 9999; echo rc=$?");
  EXPECT_NE(out.find("--burst"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
}

}  // namespace
}  // namespace anycastd::test
