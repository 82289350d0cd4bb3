// SPDX-License-Identifier: Apache-2.0
// XdpDatapath on a real edge (docs/deployment.md): several interfaces, attached all or none,
// one deleted and back, changed by a reload; chain mode's prog array slot, the tail call on to
// the next slot and its refusals; dispatcher mode refused where the kernel refuses freplace
// programs. Each test in a network namespace of its own, on veth pairs made there.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "datapath/xdp/xdp_attach.h"
#include "datapath/xdp/xdp_datapath.h"
#include "datapath/xdp/xdp_program.h"
#include "echo_probe.h"
#include "private_netns.h"
#include "xdp_run.h"

namespace anycastd {
namespace {

using testing_support::sh;

// A program of the operator's: `verdict` for every frame, loaded as libbpf loads SEC("xdp.frags"),
// as a chained one must be (the kernel compares the frags flag and the expected attach type).
int operator_program(int verdict, const char* name = "operator_xdp") {
  struct bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP, .prog_flags = BPF_F_XDP_HAS_FRAGS);
  return bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, 2, &opts);
}

std::uint32_t attached(const char* name) {
  return attached_xdp(find_interface(name)).prog_id;
}

// An echo request to an address that is no VIP of anycastd's: passed.
std::vector<std::uint8_t> stranger_frame() { return test::echo_probe("198.51.100.1", "203.0.113.9"); }

// The program's verdict on `frame`, as if it came in on `ifindex`; 0: as control's probes run it
// (BPF_PROG_TEST_RUN's own, the loopback).
std::uint32_t verdict(int prog_fd, std::vector<std::uint8_t> frame, int ifindex = 0) {
  const test::XdpRun r = test::xdp_run_on(prog_fd, std::move(frame), ifindex);
  EXPECT_EQ(r.error, 0) << std::strerror(r.error);
  return r.verdict;
}

const InterfaceStatus* uplink(const DatapathStatus& s, const std::string& name) {
  for (const InterfaceStatus& i : s.interfaces)
    if (i.name == name) return &i;
  return nullptr;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

class XdpEdgeTest : public testing_support::PrivateNetns {
 protected:
  void SetUp() override {
    PrivateNetns::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const char* pair : {"e1", "e2", "e3"}) add_pair(pair);
  }
  static void add_pair(const std::string& name) {
    int status = 0;
    std::string out = sh("ip link add " + name + " type veth peer name " + name + "-p && ip link set " + name +
                             " up && ip link set " + name + "-p up",
                         &status);
    ASSERT_EQ(status, 0) << out;
  }
  static DatapathConfig exclusive(std::vector<std::string> names) {
    DatapathConfig c;
    c.interfaces = std::move(names);
    return c;
  }
  // Polls the datapath's link events until `done` or a generous deadline.
  static bool follow(XdpDatapath& d, const std::function<bool(const DatapathStatus&)>& done) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      d.poll(Clock::now());
      if (done(d.describe())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

TEST_F(XdpEdgeTest, OneProgramOnEveryInterface) {
  XdpDatapath d(exclusive({"e1", "e2"}), false);
  d.activate();
  DatapathStatus s = d.describe();
  EXPECT_EQ(s.attach, "exclusive");
  EXPECT_EQ(s.interface, "e1,e2");
  ASSERT_EQ(s.interfaces.size(), 2u);
  for (const InterfaceStatus& i : s.interfaces) {
    EXPECT_EQ(i.state, "attached") << i.name;
    EXPECT_EQ(i.prog_id, s.prog_id) << i.name << ": one program, one set of maps";
  }
  EXPECT_EQ(attached("e1"), s.prog_id);
  EXPECT_EQ(attached("e2"), s.prog_id);
  EXPECT_TRUE(d.probe()->in_place().ok) << d.probe()->in_place().detail;
}

TEST_F(XdpEdgeTest, AttachingIsAllOrNothing) {
  int foreign = operator_program(XDP_PASS);
  ASSERT_GE(foreign, 0) << std::strerror(errno);
  ASSERT_EQ(bpf_xdp_attach(find_interface("e2").index, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  const std::uint32_t foreign_id = attached("e2");
  {
    XdpDatapath d(exclusive({"e1", "e2"}), false);
    std::string error = message_of([&] { d.activate(); });
    EXPECT_NE(error.find("e2 already has an XDP program attached"), std::string::npos) << error;
    EXPECT_EQ(attached("e1"), 0u) << "e1 was attached first and must be let go again";
    EXPECT_EQ(attached("e2"), foreign_id);
  }
  EXPECT_EQ(attached("e2"), foreign_id);
  close(foreign);
  EXPECT_EQ(message_of([] { XdpDatapath d(exclusive({"e1", "nosuch0"}), false); }), "interface \"nosuch0\" not found");
}

TEST_F(XdpEdgeTest, AnInterfaceDeletedIsLetGoAndTakenBackWhenItReturns) {
  XdpDatapath d(exclusive({"e1", "e2"}), false);
  d.activate();
  ASSERT_EQ(d.poll_fds().size(), 1u) << "link events are followed";
  sh("ip link del e2");
  ASSERT_TRUE(follow(d, [](const DatapathStatus& s) { return uplink(s, "e2")->state == "gone"; }));
  DatapathStatus s = d.describe();
  EXPECT_EQ(uplink(s, "e1")->state, "attached");
  EXPECT_EQ(uplink(s, "e2")->ifindex, 0);
  InPlace in_place = d.probe()->in_place();
  EXPECT_TRUE(in_place.ok) << "one uplink left answering keeps the datapath in place: " << in_place.detail;
  EXPECT_NE(in_place.detail.find("gone: e2"), std::string::npos) << in_place.detail;

  add_pair("e2");
  ASSERT_TRUE(follow(d, [](const DatapathStatus& s) { return uplink(s, "e2")->state == "attached"; }));
  EXPECT_EQ(attached("e2"), d.describe().prog_id);
  EXPECT_TRUE(d.probe()->in_place().ok);

  // A stranger's program on the interface that came back: reported, and the datapath is not in place.
  sh("ip link del e2");
  ASSERT_TRUE(follow(d, [](const DatapathStatus& s) { return uplink(s, "e2")->state == "gone"; }));
  sh("ip link add e2 type veth peer name e2-p");
  int foreign = operator_program(XDP_PASS);
  ASSERT_EQ(bpf_xdp_attach(find_interface("e2").index, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  sh("ip link set e2 up");
  ASSERT_TRUE(follow(d, [](const DatapathStatus& s) { return uplink(s, "e2")->state == "failed"; }));
  EXPECT_NE(uplink(d.describe(), "e2")->detail.find("already has an XDP program"), std::string::npos);
  EXPECT_FALSE(d.probe()->in_place().ok);
  close(foreign);
}

TEST_F(XdpEdgeTest, AReloadAddsAndRemovesInterfacesAllOrNothing) {
  XdpDatapath d(exclusive({"e1"}), false);
  d.activate();
  d.set_interfaces({"e1", "e3"});
  EXPECT_EQ(attached("e3"), d.describe().prog_id);
  d.set_interfaces({"e3"});
  EXPECT_EQ(attached("e1"), 0u) << "no longer listed: detached";
  EXPECT_EQ(d.describe().interface, "e3");

  int foreign = operator_program(XDP_PASS);
  ASSERT_EQ(bpf_xdp_attach(find_interface("e2").index, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  std::string error = message_of([&] { d.set_interfaces({"e1", "e2"}); });
  EXPECT_NE(error.find("e2 already has an XDP program attached"), std::string::npos) << error;
  EXPECT_EQ(attached("e1"), 0u) << "added before e2 failed: let go again";
  EXPECT_EQ(attached("e3"), d.describe().prog_id) << "the running list stays";
  EXPECT_EQ(d.describe().interface, "e3");
  close(foreign);
}

TEST_F(XdpEdgeTest, CountersPerInterface) {
  XdpDatapath d(exclusive({"e1"}), false);
  d.activate();
  // Frames through the peer reach e1's program; one not for a VIP is passed and counted there.
  sh("ip addr add 198.51.100.1/24 dev e1-p && ip neigh add 198.51.100.9 lladdr 02:00:00:00:00:09 dev e1-p && "
     "ping -c 2 -i 0.2 -W 1 198.51.100.9");
  ASSERT_TRUE(follow(d, [](const DatapathStatus& s) { return uplink(s, "e1")->passed >= 2; }));
}

// Chain mode on a prog array as an operator's root program pins it (pinning aside: the fd).
class XdpChainTest : public XdpEdgeTest {
 protected:
  void SetUp() override {
    XdpEdgeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    dir = "/tmp/ac-chain-test-" + std::to_string(getpid());
    ASSERT_EQ(sh("mkdir -p " + dir + " && mount -t bpf bpf " + dir + " && echo ok"), "ok\n");
    chain_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "chain", 4, 4, 4, nullptr);
    ASSERT_GE(chain_fd, 0) << std::strerror(errno);
    ASSERT_EQ(bpf_obj_pin(chain_fd, (dir + "/chain").c_str()), 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (chain_fd >= 0) close(chain_fd);
    if (!dir.empty()) sh("umount " + dir + " && rmdir " + dir);
  }
  DatapathConfig chain(std::uint32_t index = 1) const {
    DatapathConfig c;
    c.attach = XdpAttach::chain;
    c.chain_map = dir + "/chain";
    c.chain_index = index;
    return c;
  }
  std::uint32_t slot(std::uint32_t index) const {
    std::uint32_t id = 0;
    return bpf_map_lookup_elem(chain_fd, &index, &id) == 0 ? id : 0;
  }
  void put(std::uint32_t index, int prog_fd) const {
    ASSERT_EQ(bpf_map_update_elem(chain_fd, &index, &prog_fd, BPF_ANY), 0) << std::strerror(errno);
  }
  std::string dir;
  int chain_fd = -1;
};

TEST_F(XdpChainTest, TakesItsSlotPassesOnToTheNextAndEmptiesItsSlotOnly) {
  int filter = operator_program(XDP_PASS, "filter");
  int observer = operator_program(XDP_DROP, "observer");
  {
    XdpDatapath d(chain(1), false);
    put(0, filter);  // the operator's programs around anycastd's: untouched throughout
    d.activate();
    const std::uint32_t ours = d.describe().prog_id;
    EXPECT_EQ(slot(1), ours);
    EXPECT_TRUE(d.probe()->in_place().ok) << d.probe()->in_place().detail;
    EXPECT_EQ(d.describe().chain_index, 1u);
    EXPECT_EQ(d.describe().chain_map, dir + "/chain");

    // Not anycastd's: on to slot 2, and to the kernel when slot 2 is empty.
    int prog = bpf_prog_get_fd_by_id(ours);
    const int e1 = find_interface("e1").index;
    EXPECT_EQ(verdict(prog, stranger_frame(), e1), static_cast<std::uint32_t>(XDP_PASS));
    put(2, observer);
    EXPECT_EQ(verdict(prog, stranger_frame(), e1), static_cast<std::uint32_t>(XDP_DROP)) << "the tail call to slot 2";
    EXPECT_EQ(verdict(prog, stranger_frame()), static_cast<std::uint32_t>(XDP_PASS))
        << "control's probes never run the operator's programs";
    close(prog);
  }
  EXPECT_EQ(slot(1), 0u) << "emptied on stop";
  EXPECT_NE(slot(0), 0u);
  EXPECT_NE(slot(2), 0u);
  close(filter);
  close(observer);
}

TEST_F(XdpChainTest, AnEarlierAnycastdIsAdoptedAnotherProgramRefused) {
  // What an anycastd killed with -9 leaves: its program in the slot, answering.
  XdpLoadOptions load;
  load.chain_map_fd = chain_fd;
  load.chain_next = 2;
  auto earlier = std::make_unique<XdpProgram>(load);
  put(1, earlier->prog_fd());
  const std::uint32_t earlier_id = slot(1);
  {
    XdpDatapath d(chain(1), true);
    d.activate();
    EXPECT_NE(slot(1), earlier_id);
    EXPECT_EQ(slot(1), d.describe().prog_id);
  }
  EXPECT_EQ(slot(1), 0u);
  earlier.reset();

  int other = operator_program(XDP_PASS, "anycast_xdp");  // named like ours, but not tail-calling through the array
  put(1, other);
  std::string error = message_of([&] { XdpDatapath d(chain(1), false); });
  EXPECT_NE(error.find("slot 1 of " + dir + "/chain holds another program"), std::string::npos) << error;
  EXPECT_NE(slot(1), 0u) << "left as it was";
  close(other);
}

TEST_F(XdpChainTest, MapProblemsAreNamed) {
  EXPECT_NE(message_of([&] { XdpDatapath d(chain(4), false); })
                .find("datapath.chain_index 4 is out of range: " + dir + "/chain has 4 slots (0 to 3)"),
            std::string::npos);
  DatapathConfig missing = chain(1);
  missing.chain_map = dir + "/nothing";
  EXPECT_NE(message_of([&] { XdpDatapath d(missing, false); }).find(dir + "/nothing does not exist"), std::string::npos);
  int hash = bpf_map_create(BPF_MAP_TYPE_HASH, "hash", 4, 4, 4, nullptr);
  ASSERT_EQ(bpf_obj_pin(hash, (dir + "/hash").c_str()), 0);
  DatapathConfig wrong = chain(1);
  wrong.chain_map = dir + "/hash";
  EXPECT_NE(message_of([&] { XdpDatapath d(wrong, false); }).find("is not a prog array (its type is hash)"),
            std::string::npos);
  close(hash);
  // A root program that is not frags-aware owns the array: anycastd's cannot join it.
  int plain = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "plain", 4, 4, 4, nullptr);
  struct bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP);
  int old_style = bpf_prog_load(BPF_PROG_TYPE_XDP, "plain_xdp", "GPL", insns, 2, &opts);
  std::uint32_t zero = 0;
  ASSERT_EQ(bpf_map_update_elem(plain, &zero, &old_style, BPF_ANY), 0);
  ASSERT_EQ(bpf_obj_pin(plain, (dir + "/plain").c_str()), 0);
  DatapathConfig mixed = chain(1);
  mixed.chain_map = dir + "/plain";
  std::string error = message_of([&] { XdpDatapath d(mixed, false); });
  EXPECT_NE(error.find("xdp.frags"), std::string::npos) << error;
  close(old_style);
  close(plain);
}

// libxdp's dispatcher needs freplace programs; where the kernel refuses them (these machines:
// docs/deployment.md), dispatcher mode must fail clearly, leave nothing of its own attached and
// leave another program untouched.
class XdpDispatcherTest : public XdpEdgeTest {
 protected:
  void SetUp() override {
    XdpEdgeTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // libxdp pins its dispatcher state on a bpffs: a private one, never the host's.
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << std::strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << std::strerror(errno);
    dir = "/tmp/ac-libxdp-test-" + std::to_string(getpid());
    ASSERT_EQ(sh("mkdir -p " + dir + " && mount -t bpf bpf " + dir + " && echo ok"), "ok\n");
    setenv("LIBXDP_BPFFS", dir.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("LIBXDP_BPFFS");
    if (!dir.empty()) sh("umount " + dir + " && rmdir " + dir);
  }
  static DatapathConfig dispatcher(std::vector<std::string> names) {
    DatapathConfig c;
    c.attach = XdpAttach::dispatcher;
    c.interfaces = std::move(names);
    return c;
  }
  std::string dir;
};

TEST_F(XdpDispatcherTest, RefusedWithAPointerToChainWhereTheKernelRefusesFreplace) {
  XdpDatapath d(dispatcher({"e1"}), false);
  std::string error = message_of([&] { d.activate(); });
  EXPECT_NE(error.find("attach = \"dispatcher\" on e1: libxdp could not install its multi-program dispatcher"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("Use attach = \"chain\""), std::string::npos) << error;
  EXPECT_EQ(attached("e1"), 0u) << "what libxdp attached alone is detached again";
}

TEST_F(XdpDispatcherTest, AProgramAttachedAloneIsLeftUntouched) {
  int foreign = operator_program(XDP_PASS);
  ASSERT_EQ(bpf_xdp_attach(find_interface("e1").index, foreign, XDP_FLAGS_DRV_MODE, nullptr), 0);
  const std::uint32_t foreign_id = attached("e1");
  XdpDatapath d(dispatcher({"e1"}), false);
  std::string error = message_of([&] { d.activate(); });
  EXPECT_NE(error.find("e1"), std::string::npos) << error;
  EXPECT_NE(error, "(no error)");
  EXPECT_EQ(attached("e1"), foreign_id);
  close(foreign);
}

}  // namespace
}  // namespace anycastd
