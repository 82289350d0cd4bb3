// SPDX-License-Identifier: Apache-2.0
// XdpProgram: the maps hold exactly what write_tables was last given (checked by running frames
// through BPF_PROG_TEST_RUN). XdpAttachment: attaches, never replaces a stranger, replaces a
// crashed predecessor, falls back to generic only in auto mode, detaches only its own.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datapath/config_tables.h"
#include "config/config.h"
#include "private_netns.h"
#include "datapath/xdp/xdp_attach.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd {
namespace {

using testing_support::sh;

// Ethernet + IPv4 + UDP to `dst`:7 from `src`:40000, with a 4-byte payload.
std::vector<std::uint8_t> udp4(const char* src, const char* dst, std::uint16_t dport = 7) {
  std::vector<std::uint8_t> f = {
      0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,                 // Ethernet
      0x45, 0, 0, 32, 0, 1, 0x40, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // IPv4, DF
      0x9c, 0x40, 0, 0, 0, 12, 0, 0,                                        // UDP 40000 -> dport
      'p', 'i', 'n', 'g'};
  inet_pton(AF_INET, src, &f[26]);
  inet_pton(AF_INET, dst, &f[30]);
  f[36] = static_cast<std::uint8_t>(dport >> 8);
  f[37] = static_cast<std::uint8_t>(dport);
  std::uint32_t sum = 0;
  for (int i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = static_cast<std::uint8_t>(~sum >> 8);
  f[25] = static_cast<std::uint8_t>(~sum);
  return f;
}

std::uint32_t run(const XdpProgram& program, std::vector<std::uint8_t> frame) {
  std::vector<std::uint8_t> out(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(frame.size()), .data_size_out = static_cast<__u32>(out.size()));
  EXPECT_EQ(bpf_prog_test_run_opts(program.prog_fd(), &opts), 0) << std::strerror(errno);
  return opts.retval;
}

FastpathTables tables(const char* vip, bool restricted) {
  FastpathTables t;
  ac_vip_value value{AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0};
  t.vips.push_back({parse_prefix(vip), value});
  t.ports[7] = {AC_SVC_F_ENABLED | (restricted ? AC_SVC_F_RESTRICTED : 0u), AC_SVC_ECHO};
  if (restricted) {
    t.allow.push_back({AC_SVC_ECHO, parse_prefix("198.51.100.0/24")});
    t.allow.push_back({AC_SVC_ECHO, parse_prefix("2001:db8:ffff::/48")});
  }
  return t;
}

class XdpProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "needs root: it loads a BPF program";
  }
};

TEST_F(XdpProgramTest, LoadsSilentUntilTablesAreWritten) {
  XdpProgram program;
  EXPECT_GT(program.prog_fd(), 0);
  EXPECT_GT(program.prog_id(), 0u);
  // Nothing configured yet: not even a VIP.
  EXPECT_EQ(run(program, udp4("198.51.100.1", "192.0.2.10")), XDP_PASS);
  EXPECT_EQ(program.read_stats().pass[AC_PASS_NOT_VIP], 1u);
}

TEST_F(XdpProgramTest, WriteTablesMakesTheMapsHoldExactlyTheTables) {
  XdpProgram program;
  program.write_tables(tables("192.0.2.10", true));
  EXPECT_EQ(run(program, udp4("198.51.100.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(run(program, udp4("203.0.113.5", "192.0.2.10")), XDP_PASS);  // not allowed

  // A different VIP, the service unrestricted: the old VIP and the allow list are gone.
  program.write_tables(tables("203.0.113.0/24", false));
  EXPECT_EQ(run(program, udp4("198.51.100.1", "192.0.2.10")), XDP_PASS);   // stale VIP deleted
  EXPECT_EQ(run(program, udp4("192.0.2.99", "203.0.113.77")), XDP_TX);     // anyone now

  // Port moved: the old one no longer dispatches.
  FastpathTables moved = tables("203.0.113.0/24", false);
  moved.ports.clear();
  moved.ports[7007] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  program.write_tables(moved);
  EXPECT_EQ(run(program, udp4("192.0.2.99", "203.0.113.77", 7)), XDP_PASS);
  EXPECT_EQ(run(program, udp4("192.0.2.99", "203.0.113.77", 7007)), XDP_TX);

  FastpathTables off = moved;
  off.answering = false;
  program.write_tables(off);
  EXPECT_EQ(run(program, udp4("192.0.2.99", "203.0.113.77", 7007)), XDP_PASS);
  program.set_answering(true);
  EXPECT_EQ(run(program, udp4("192.0.2.99", "203.0.113.77", 7007)), XDP_TX);

  ac_stats s = program.read_stats();
  EXPECT_EQ(s.action[AC_ACT_ANSWER], 4u);
  EXPECT_EQ(s.action[AC_ACT_PASS], 4u);
  EXPECT_EQ(s.answered[AC_SVC_ECHO], 4u);
  EXPECT_EQ(s.answered_bytes[AC_SVC_ECHO], 4u * 46u);
  EXPECT_EQ(s.pass[AC_PASS_SRC_NOT_ALLOWED], 1u);
  EXPECT_EQ(s.pass[AC_PASS_NOT_VIP], 1u);
  EXPECT_EQ(s.pass[AC_PASS_PORT_UNKNOWN], 1u);
  EXPECT_EQ(s.pass[AC_PASS_NOT_ANSWERING], 1u);
}

TEST_F(XdpProgramTest, ASuccessorSharesTheRunningProgramsMapsAndCounters) {
  XdpProgram running;
  running.write_tables(tables("192.0.2.10", false));
  EXPECT_EQ(run(running, udp4("198.51.100.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(run(running, udp4("198.51.100.1", "192.0.2.10", 9)), XDP_PASS);

  XdpLoadOptions reuse;
  reuse.reuse_maps_of_prog_id = running.prog_id();
  XdpProgram successor(reuse);
  ASSERT_TRUE(successor.reused_maps());
  EXPECT_NE(successor.prog_id(), running.prog_id());
  // Loading did not touch the shared switch or tables: both answer, the counters carry on.
  EXPECT_EQ(run(successor, udp4("198.51.100.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(run(running, udp4("198.51.100.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(successor.read_stats().answered[AC_SVC_ECHO], 3u);

  // The successor's tables are the running program's: a port it drops is gone for both.
  FastpathTables moved = tables("192.0.2.10", false);
  moved.ports.clear();
  moved.ports[7007] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  successor.write_tables(moved);
  EXPECT_EQ(run(running, udp4("198.51.100.1", "192.0.2.10", 7)), XDP_PASS);
  EXPECT_EQ(run(running, udp4("198.51.100.1", "192.0.2.10", 7007)), XDP_TX);
}

// A set above the scan threshold lives in hashes that control makes per write: a successor
// takes them over with the rest, answers from them before it writes anything, and its first
// write replaces the set packets read, for both programs.
TEST_F(XdpProgramTest, ASuccessorCarriesOnWithAHashedVipSet) {
  auto set = [](int first) {
    FastpathTables t = tables("198.51.100.0/25", false);
    for (int i = 0; i < 2 * static_cast<int>(AC_VIP_SCAN_MAX); ++i)
      t.vips.push_back({parse_prefix("192.0.2." + std::to_string(first + i)), t.vips[0].value});
    return t;
  };
  XdpProgram running;
  running.write_tables(set(10));
  EXPECT_EQ(run(running, udp4("203.0.113.1", "192.0.2.10")), XDP_TX);

  XdpLoadOptions reuse;
  reuse.reuse_maps_of_prog_id = running.prog_id();
  XdpProgram successor(reuse);
  ASSERT_TRUE(successor.reused_maps());
  EXPECT_EQ(run(successor, udp4("203.0.113.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(run(successor, udp4("203.0.113.1", "198.51.100.100")), XDP_TX);

  successor.write_tables(set(100));
  for (const XdpProgram* p : {&running, &successor}) {
    EXPECT_EQ(run(*p, udp4("203.0.113.1", "192.0.2.10")), XDP_PASS);
    EXPECT_EQ(run(*p, udp4("203.0.113.1", "192.0.2.100")), XDP_TX);
    EXPECT_EQ(run(*p, udp4("203.0.113.1", "198.51.100.100")), XDP_TX);
  }
}

// Map name -> map id of a loaded program, read from the kernel: the count first, then that many
// ids, so nothing caps how many maps are seen.
std::map<std::string, std::uint32_t> maps_of(std::uint32_t prog_id) {
  int prog = bpf_prog_get_fd_by_id(prog_id);
  EXPECT_GE(prog, 0) << std::strerror(errno);
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(prog, &info, &size), 0);
  std::vector<std::uint32_t> ids(info.nr_map_ids);
  info = bpf_prog_info{};
  info.nr_map_ids = static_cast<std::uint32_t>(ids.size());
  info.map_ids = reinterpret_cast<std::uintptr_t>(ids.data());
  size = sizeof info;
  EXPECT_EQ(bpf_obj_get_info_by_fd(prog, &info, &size), 0);
  close(prog);
  std::map<std::string, std::uint32_t> maps;
  for (std::uint32_t id : ids) {
    int fd = bpf_map_get_fd_by_id(id);
    bpf_map_info m{};
    std::uint32_t msize = sizeof m;
    EXPECT_EQ(bpf_obj_get_info_by_fd(fd, &m, &msize), 0);
    close(fd);
    maps[m.name] = id;
  }
  return maps;
}

TEST_F(XdpProgramTest, ASuccessorTakesEveryMapButTheDnsTablesWhateverTheirNumber) {
  XdpProgram running;
  XdpLoadOptions reuse;
  reuse.reuse_maps_of_prog_id = running.prog_id();
  XdpProgram successor(reuse);
  ASSERT_TRUE(successor.reused_maps());
  std::map<std::string, std::uint32_t> before = maps_of(running.prog_id()), after = maps_of(successor.prog_id());
  ASSERT_EQ(after.size(), before.size());
  std::size_t shared = 0;
  for (const auto& [name, id] : after) {
    ASSERT_TRUE(before.count(name)) << name;
    // The DNS maps, the chain's prog array and the read-only globals are made fresh on every
    // start (xdp_program.cpp says why); every other is the running program's own.
    if (name.rfind("ac_dns", 0) == 0 || name == "ac_chain" || name.find(".rodata") != std::string::npos ||
        name.find(".bss") != std::string::npos) {
      EXPECT_NE(id, before[name]) << name;
    } else {
      EXPECT_EQ(id, before[name]) << name;
      ++shared;
    }
  }
  EXPECT_GE(shared, 10u);  // the VIP, port, allow, rate-limit, counter and switch maps at least
}

TEST_F(XdpProgramTest, MapsOfAnotherShapeAreNotShared) {
  XdpLoadOptions small;
  small.allow_max_entries = 64;
  XdpProgram running(small);
  XdpLoadOptions reuse;
  reuse.reuse_maps_of_prog_id = running.prog_id();
  XdpProgram successor(reuse);  // allow tries of the default size: not the running ones
  EXPECT_FALSE(successor.reused_maps());
  XdpLoadOptions gone;
  gone.reuse_maps_of_prog_id = 0x7fffffff;
  EXPECT_FALSE(XdpProgram(gone).reused_maps());
}

TEST_F(XdpProgramTest, TablesFromTheConfigAnswer) {
  Config c = parse_config(R"(
[datapath]
interface = "eth0"
[anycast]
addresses = ["192.0.2.10", "2001:db8::10", "203.0.113.0/24"]
[services.echo]
allow = ["198.51.100.0/24"]
)",
                          "x.toml");
  XdpProgram program;
  program.write_tables(build_tables(c));
  EXPECT_EQ(run(program, udp4("198.51.100.1", "192.0.2.10")), XDP_TX);
  EXPECT_EQ(run(program, udp4("198.51.100.1", "203.0.113.200")), XDP_TX);
  EXPECT_EQ(run(program, udp4("192.0.2.1", "203.0.113.200")), XDP_PASS);
}

TEST_F(XdpProgramTest, VipMapsHoldTheirConfiguredSizeAndSayWhenFull) {
  XdpLoadOptions options;
  options.vip_max_entries = AC_VIP_MAX_DEFAULT;
  XdpProgram program(options);
  FastpathTables t;
  ac_vip_value value{AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0};
  for (std::uint32_t i = 0; i < AC_VIP_MAX_DEFAULT; ++i) {
    Prefix p;
    p.family = 4;
    p.len = 32;
    std::uint32_t address = htonl(0x0a000000u + i);  // 10.0.0.0/16 in the test's own tables only
    std::memcpy(p.addr.data(), &address, 4);
    t.vips.push_back({p, value});
  }
  t.ports[7] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  program.write_tables(t);
  EXPECT_EQ(run(program, udp4("198.51.100.1", "10.0.255.255")), XDP_TX);

  t.vips.push_back({parse_prefix("192.0.2.10"), value});
  try {
    program.write_tables(t);
    FAIL() << "a full map took one more";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("writing VIP 192.0.2.10/32 into ac_vip4"), std::string::npos) << e.what();
  }
}

// A program that is not ours, as an operator's tool would attach it.
int load_foreign_program() {
  struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  return bpf_prog_load(BPF_PROG_TYPE_XDP, "operator_xdp", "GPL", insns, 2, nullptr);
}

std::uint32_t attached_id(const Interface& i, std::uint32_t mode_flag) {
  std::uint32_t id = 0;
  EXPECT_EQ(bpf_xdp_query_id(i.index, static_cast<int>(mode_flag), &id), 0);
  return id;
}

class XdpAttachTest : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    int status = 0;
    std::string out = sh("ip link add ac-a type veth peer name ac-b && ip link set ac-a up && ip link set ac-b up && "
                         "ip link add ac-d type bridge && ip link set ac-d up",
                         &status);
    ASSERT_EQ(status, 0) << out;
    veth = find_interface("ac-a");
    no_native = find_interface("ac-d");
  }
  Interface veth, no_native;
};

TEST_F(XdpAttachTest, NativeAttachAndDetach) {
  XdpProgram program;
  {
    XdpAttachment a(veth, program.prog_fd(), XdpMode::native);
    EXPECT_EQ(a.mode(), XdpMode::native);
    EXPECT_EQ(a.prog_id(), program.prog_id());
    EXPECT_EQ(a.replaced_prog_id(), 0u);
    EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), program.prog_id());
    EXPECT_NE(sh("ip link show dev ac-a").find("prog/xdp id " + std::to_string(program.prog_id())), std::string::npos);
  }
  EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), 0u);
}

TEST_F(XdpAttachTest, NeverReplacesSomeoneElsesProgram) {
  int foreign = load_foreign_program();
  ASSERT_GE(foreign, 0) << std::strerror(errno);
  ASSERT_EQ(bpf_xdp_attach(veth.index, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  std::uint32_t foreign_id = attached_id(veth, XDP_FLAGS_DRV_MODE);

  XdpProgram program;
  for (XdpMode mode : {XdpMode::native, XdpMode::generic, XdpMode::automatic}) {
    try {
      XdpAttachment a(veth, program.prog_fd(), mode);
      ADD_FAILURE() << "attached over a foreign program in mode " << to_string(mode);
    } catch (const std::runtime_error& e) {
      std::string expected = "ac-a already has an XDP program attached (id " + std::to_string(foreign_id) +
                             ", name \"operator_xdp\", native)";
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), foreign_id);
  close(foreign);
}

TEST_F(XdpAttachTest, ReplacesWhatACrashedAnycastdLeft) {
  XdpProgram crashed;
  ASSERT_EQ(bpf_xdp_attach(veth.index, crashed.prog_fd(), XDP_FLAGS_DRV_MODE, nullptr), 0);

  XdpProgram program;
  {
    XdpAttachment a(veth, program.prog_fd(), XdpMode::native);
    EXPECT_EQ(a.replaced_prog_id(), crashed.prog_id());
    EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), program.prog_id());
  }
  EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), 0u);
}

TEST_F(XdpAttachTest, ReplacesAPredecessorInAnotherMode) {
  XdpProgram crashed;
  ASSERT_EQ(bpf_xdp_attach(veth.index, crashed.prog_fd(), XDP_FLAGS_SKB_MODE, nullptr), 0);
  XdpProgram program;
  XdpAttachment a(veth, program.prog_fd(), XdpMode::native);
  EXPECT_EQ(a.mode(), XdpMode::native);
  EXPECT_EQ(a.replaced_prog_id(), crashed.prog_id());
  EXPECT_EQ(attached_id(veth, XDP_FLAGS_DRV_MODE), program.prog_id());
  EXPECT_EQ(attached_id(veth, XDP_FLAGS_SKB_MODE), 0u);
}

TEST_F(XdpAttachTest, AutoFallsBackToGenericOnlyWhenAsked) {
  XdpProgram program;
  try {
    XdpAttachment a(no_native, program.prog_fd(), XdpMode::native);
    FAIL() << "a bridge has no native XDP";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("attaching XDP in native mode to ac-d: "), std::string::npos) << e.what();
  }
  EXPECT_EQ(attached_id(no_native, 0), 0u);
  {
    XdpAttachment a(no_native, program.prog_fd(), XdpMode::automatic);
    EXPECT_EQ(a.mode(), XdpMode::generic);
    EXPECT_EQ(attached_id(no_native, XDP_FLAGS_SKB_MODE), program.prog_id());
  }
  EXPECT_EQ(attached_id(no_native, 0), 0u);
  {
    XdpAttachment a(veth, program.prog_fd(), XdpMode::automatic);
    EXPECT_EQ(a.mode(), XdpMode::native);
  }
}

TEST_F(XdpAttachTest, DetachLeavesAProgramThatIsNoLongerOurs) {
  XdpProgram program;
  int foreign = load_foreign_program();
  ASSERT_GE(foreign, 0);
  {
    XdpAttachment a(veth, program.prog_fd(), XdpMode::native);
    LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = program.prog_fd());
    ASSERT_EQ(bpf_xdp_attach(veth.index, foreign, XDP_FLAGS_DRV_MODE, &opts), 0);
  }
  std::uint32_t id = attached_id(veth, XDP_FLAGS_DRV_MODE);
  EXPECT_NE(id, 0u);
  EXPECT_NE(id, program.prog_id());
  close(foreign);
}

}  // namespace
}  // namespace anycastd
