// SPDX-License-Identifier: Apache-2.0
// The XDP program's VIP match (a scan of small sets, a hash per prefix length above
// AC_VIP_SCAN_MAX) against the native reference env's (tests/common/native_env.h: a plain
// longest-prefix scan of the tables): random sets of each size around the threshold, nested
// prefixes and exact VIPs inside them, probed at every VIP, next to it and at random; the verdict
// and its pass reason must agree for every probe. The VIPs' services and answering flags are
// random too, so a wrong match shows as another verdict.

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "echo_probe.h"
#include "native_env.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd::test {
namespace {

// Which action and pass reason a frame got, as "answer" or "pass.<reason>".
std::string native_verdict(const FastpathTables& tables, std::vector<std::uint8_t> frame) {
  ac_env env{&tables};
  ac_headers h;
  ac_verdict v = ac_decide(&env, frame.data(), frame.data() + frame.size(), &h);
  return v.action == AC_ACT_ANSWER ? "answer" : std::string("pass.") + ac_pass_reason_names[v.reason];
}

std::string bpf_verdict(const XdpProgram& program, const std::vector<std::uint8_t>& frame) {
  std::vector<std::uint8_t> in = frame, out(frame.size() + 256);
  bpf_test_run_opts run{};
  run.sz = sizeof run;
  run.data_in = in.data();
  run.data_size_in = static_cast<std::uint32_t>(in.size());
  run.data_out = out.data();
  run.data_size_out = static_cast<std::uint32_t>(out.size());
  const ac_stats before = program.read_stats();
  if (bpf_prog_test_run_opts(program.prog_fd(), &run) != 0) return std::string("run failed: ") + std::strerror(errno);
  const ac_stats after = program.read_stats();
  if (run.retval == XDP_TX) return "answer";
  for (unsigned r = 0; r < AC_PASS__COUNT; ++r)
    if (after.pass[r] != before.pass[r]) return std::string("pass.") + ac_pass_reason_names[r];
  return "retval " + std::to_string(run.retval) + ", no pass counted";
}

std::string address_text(int family, const std::uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

// Random VIPs within one documentation block per family, so that they nest: IPv4 inside
// 203.0.113.0/24 (lengths 24-32), IPv6 inside 2001:db8::/32 with the variation in the last
// 16 bits (lengths 112-128) and a few short prefixes (48, 64, 96) over them.
class VipSets {
 public:
  explicit VipSets(std::uint32_t seed) : rng_(seed) {}

  Prefix random_prefix(int family) {
    Prefix p;
    p.family = family;
    if (family == 4) {
      const std::uint8_t base[4] = {203, 0, 113, 0};
      std::memcpy(p.addr.data(), base, 4);
      p.addr[3] = static_cast<std::uint8_t>(rng_());
      p.len = 24 + rng_() % 9;
    } else {
      inet_pton(AF_INET6, "2001:db8::", p.addr.data());
      p.addr[14] = static_cast<std::uint8_t>(rng_() % 4);
      p.addr[15] = static_cast<std::uint8_t>(rng_());
      const unsigned lengths[] = {48, 64, 96, 112, 116, 120, 124, 126, 127, 128, 128, 128};
      p.len = lengths[rng_() % (sizeof lengths / sizeof lengths[0])];
    }
    // Host bits off, as the configuration requires of a prefix.
    for (unsigned bit = p.len; bit < p.addr_bytes() * 8u; ++bit) p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    return p;
  }

  FastpathTables tables(std::size_t v4, std::size_t v6) {
    FastpathTables t;
    std::set<std::string> seen;
    auto add = [&](int family, std::size_t count) {
      while (count) {
        Prefix p = random_prefix(family);
        if (!seen.insert(p.str()).second) continue;
        const std::uint32_t services[] = {1u << AC_SVC_ECHO, 1u << AC_SVC_NTP, (1u << AC_SVC_ECHO) | (1u << AC_SVC_NTP)};
        ac_vip_value value{rng_() % 5 ? AC_VIP_F_ANSWERING : 0u, services[rng_() % 3], static_cast<std::uint32_t>(rng_() % 4)};
        t.vips.push_back({p, value});
        --count;
      }
    };
    add(4, v4);
    add(6, v6);
    t.ports[7] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
    return t;
  }

  // Every VIP's first address, one inside it at random and the ones just before and after it,
  // and random addresses of the block.
  std::vector<std::vector<std::uint8_t>> probes(const FastpathTables& t) {
    std::vector<std::vector<std::uint8_t>> frames;
    auto probe = [&](int family, std::array<std::uint8_t, 16> a) {
      const std::string client = family == 4 ? "198.51.100.1" : "2001:db8:ffff::1";
      frames.push_back(echo_probe(client, address_text(family, a.data())));
    };
    auto step = [](std::array<std::uint8_t, 16> a, int bytes, int delta) {
      for (int i = bytes - 1; i >= 0; --i) {
        int v = a[i] + delta;
        a[i] = static_cast<std::uint8_t>(v);
        if (v >= 0 && v <= 255) break;
      }
      return a;
    };
    for (const VipEntry& v : t.vips) {
      const int bytes = v.prefix.addr_bytes();
      std::array<std::uint8_t, 16> a{};
      std::memcpy(a.data(), v.prefix.addr.data(), bytes);
      probe(v.prefix.family, a);
      probe(v.prefix.family, step(a, bytes, -1));
      std::array<std::uint8_t, 16> inside = a;
      for (unsigned bit = v.prefix.len; bit < bytes * 8u; ++bit)
        if (rng_() & 1) inside[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      probe(v.prefix.family, inside);
      std::array<std::uint8_t, 16> last = a;
      for (unsigned bit = v.prefix.len; bit < bytes * 8u; ++bit) last[bit / 8] |= static_cast<std::uint8_t>(0x80 >> (bit % 8));
      probe(v.prefix.family, step(last, bytes, 1));
    }
    for (int i = 0; i < 32; ++i) {
      int family = i % 2 ? 6 : 4;
      Prefix p = random_prefix(family);
      std::array<std::uint8_t, 16> a{};
      std::memcpy(a.data(), p.addr.data(), p.addr_bytes());
      a[p.addr_bytes() - 1] = static_cast<std::uint8_t>(rng_());
      probe(family, a);
    }
    return frames;
  }

 private:
  std::mt19937 rng_;
};

TEST(BpfVipLookup, AgreesWithTheReferenceOnRandomSetsAroundTheScanThreshold) {
  ASSERT_EQ(geteuid(), 0u) << "the BPF tests load an XDP program: they need root; run ctest as root";
  XdpProgram program;
  const std::size_t sizes[] = {0, 1, 2, AC_VIP_SCAN_MAX - 1, AC_VIP_SCAN_MAX, AC_VIP_SCAN_MAX + 1, 40, 200};
  std::size_t probes = 0;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    VipSets sets(seed);
    for (std::size_t v4 : sizes) {
      // Each family on either side of the threshold, in the same set: their forms are independent.
      const std::size_t v6 = sizes[(&v4 - sizes + seed) % (sizeof sizes / sizeof sizes[0])];
      FastpathTables t = sets.tables(v4, v6);
      program.write_tables(t);
      for (const auto& frame : sets.probes(t)) {
        ++probes;
        ASSERT_EQ(bpf_verdict(program, frame), native_verdict(t, frame))
            << "seed " << seed << ", " << v4 << " IPv4 and " << v6 << " IPv6 VIPs, probe " << probes;
      }
    }
  }
  std::printf("%zu probes agreed\n", probes);
}

}  // namespace
}  // namespace anycastd::test
