// SPDX-License-Identifier: Apache-2.0
// The DPDK table set against the native reference env (tests/common/native_env.h, a plain
// longest-prefix scan): random VIP sets (vip_sets.h), around the exact VIPs a family is scanned
// up to, with repeated entries and whole-space VIPs, matched in bulk as a burst is, one address
// at a time as the probe is, and through the worker's burst loop, verdict and pass reason; random
// allow lists of several services that nest; the DPDK memory each set takes next to the
// estimate a refusal names; and the limits a set is refused at.

#include <cstdio>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "eal_env.h"
#include "native_verdict.h"
#include "options.h"
#include "ring_harness.h"
#include "table_sizing.h"
#include "vip_sets.h"

namespace anycastd::test {
namespace {

std::string describe(const ac_vip_value* v) {
  if (!v) return "no VIP";
  return "flags " + std::to_string(v->flags) + " services " + std::to_string(v->services) + " group " +
         std::to_string(v->group);
}

// Where an echo_probe frame's destination address is, and its family.
const std::uint8_t* probe_destination(const Bytes& frame, int& family) {
  family = frame[12] == 0x86 ? 6 : 4;
  return frame.data() + (family == 4 ? 30 : 38);
}

// The match of every probe's destination, in bulk (in chunks, as bursts are) and one at a time,
// against the reference's longest prefix; "" when all agree.
std::string compare_lookups(const dpdk::DpdkTables& built, const FastpathTables& t, const std::vector<Bytes>& frames) {
  ac_env reference{&t};
  for (int family : {4, 6}) {
    std::vector<const std::uint8_t*> daddrs;
    for (const Bytes& f : frames) {
      int fam;
      const std::uint8_t* d = probe_destination(f, fam);
      if (fam == family) daddrs.push_back(d);
    }
    std::vector<const ac_vip_value*> found(daddrs.size());
    for (std::size_t start = 0; start < daddrs.size(); start += dpdk::DpdkTables::kMatchMax) {
      const unsigned n = static_cast<unsigned>(std::min<std::size_t>(dpdk::DpdkTables::kMatchMax, daddrs.size() - start));
      (built.*(family == 4 ? &dpdk::DpdkTables::match4 : &dpdk::DpdkTables::match6))(&daddrs[start], n, &found[start]);
    }
    for (std::size_t i = 0; i < daddrs.size(); ++i) {
      const ac_vip_value* want = family == 4 ? ac_env_vip4(&reference, daddrs[i]) : ac_env_vip6(&reference, daddrs[i]);
      const ac_vip_value* one = family == 4 ? built.vip4(daddrs[i]) : built.vip6(daddrs[i]);
      if (describe(found[i]) != describe(want) || describe(one) != describe(want))
        return address_text(family, daddrs[i]) + ": reference " + describe(want) + ", bulk " + describe(found[i]) +
               ", single " + describe(one);
    }
  }
  return "";
}

// The same sets, where the reference's rules show most: entries repeated with other values
// further down (the first one wins), and whole-space VIPs (the fallback when the rest miss).
FastpathTables with_repeats_and_whole_space(FastpathTables t, VipSets& sets) {
  sets.repeat(t, 3);
  t.vips.push_back({parse_prefix("0.0.0.0/0"), sets.random_value(t)});
  t.vips.push_back({parse_prefix("::/0"), sets.random_value(t)});
  t.vips.push_back({parse_prefix("::/0"), sets.random_value(t)});
  return t;
}

TEST(DpdkVipMatch, AgreesWithTheReferenceOnRandomSets) {
  AC_REQUIRE_EAL();
  // Bursts of up to 256 frames: more than one bulk lookup (64 keys) per family and burst.
  RingHarness h(2048, dpdk::kMaxBurst);
  const std::size_t sizes[] = {0, 1, 2, 7, 8, 9, 40, 200};
  std::size_t probes = 0;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    VipSets sets(seed);
    std::vector<std::pair<std::string, FastpathTables>> cases;
    for (std::size_t v4 : sizes) {
      const std::size_t v6 = sizes[(&v4 - sizes + seed) % (sizeof sizes / sizeof sizes[0])];
      const std::string name = std::to_string(v4) + " IPv4 and " + std::to_string(v6) + " IPv6 VIPs";
      cases.emplace_back(name, sets.tables(v4, v6));
      cases.emplace_back(name + ", repeats and /0", with_repeats_and_whole_space(cases.back().second, sets));
    }
    // Around the number of exact VIPs a family is scanned up to, then hashed.
    for (std::size_t exact : {AC_VIP_SCAN_MAX - 1, AC_VIP_SCAN_MAX, AC_VIP_SCAN_MAX + 1, 40u}) {
      FastpathTables t = sets.tables(3, 3);
      sets.exact_to(t, 4, exact);
      sets.exact_to(t, 6, exact);
      cases.emplace_back(std::to_string(exact) + " exact VIPs a family", t);
      cases.emplace_back(std::to_string(exact) + " exact VIPs a family, repeats and /0",
                         with_repeats_and_whole_space(t, sets));
    }
    for (const auto& [name, t] : cases) {
      SCOPED_TRACE("seed " + std::to_string(seed) + ", " + name);
      const std::vector<Bytes> frames = sets.probes(t);
      probes += frames.size();
      std::string error;
      auto built = dpdk::DpdkTables::build(t, error);
      ASSERT_NE(built, nullptr) << error;
      EXPECT_EQ(compare_lookups(*built, t, frames), "");

      // Through the burst loop: passed frames reach the kernel side unchanged and in order, the
      // rest come back out of the port, and each pass reason is counted as often.
      h.load(t);
      const ac_stats before = dpdk::read_counters(h.worker().counters).core;
      std::vector<Bytes> want_passed;
      std::size_t want_answered = 0;
      std::map<std::string, std::uint64_t> want_reasons;
      for (const Bytes& f : frames) {
        const std::string verdict = native_verdict(t, f);
        if (verdict == "answer") {
          ++want_answered;
        } else {
          want_passed.push_back(f);
          ++want_reasons[verdict];
        }
      }
      std::vector<Bytes> passed;
      std::size_t answered = 0;
      for (std::size_t start = 0; start < frames.size(); start += 512) {
        for (std::size_t i = start; i < std::min(frames.size(), start + 512); ++i) ASSERT_TRUE(h.from_wire(frames[i]));
        while (dpdk::worker_poll(h.worker())) {
        }
        answered += h.to_wire().size();
        for (Bytes& b : h.to_kernel()) passed.push_back(std::move(b));
      }
      EXPECT_EQ(answered, want_answered);
      EXPECT_TRUE(passed == want_passed) << passed.size() << " passed, " << want_passed.size() << " expected";
      const ac_stats after = dpdk::read_counters(h.worker().counters).core;
      std::map<std::string, std::uint64_t> reasons;
      for (unsigned r = 0; r < AC_PASS__COUNT; ++r)
        if (after.pass[r] != before.pass[r]) reasons[std::string("pass.") + ac_pass_reason_names[r]] = after.pass[r] - before.pass[r];
      EXPECT_EQ(reasons, want_reasons);
    }
  }
  std::printf("%zu probes agreed\n", probes);
}

// Allow lists of all three services in one LPM per family: a source is allowed for a service
// when any of that service's prefixes holds it, however the services' prefixes nest.
TEST(DpdkAllow, AgreesWithTheReferenceOnRandomNestedListsOfSeveralServices) {
  AC_REQUIRE_EAL();
  std::mt19937 rng(7);
  std::size_t checks = 0;
  for (int round = 0; round < 20; ++round) {
    FastpathTables t;
    const int entries = static_cast<int>(rng() % 60);
    for (int i = 0; i < entries; ++i) {
      Prefix p;
      p.family = rng() % 2 ? 4 : 6;
      if (p.family == 4) {
        const std::uint8_t base[4] = {198, 51, 100, 0};
        std::memcpy(p.addr.data(), base, 4);
        p.addr[2] = static_cast<std::uint8_t>(100 + rng() % 2);
        p.addr[3] = static_cast<std::uint8_t>(rng());
        p.len = static_cast<std::uint8_t>(rng() % 12 == 0 ? 0 : 22 + rng() % 11);
      } else {
        inet_pton(AF_INET6, "2001:db8:ffff::", p.addr.data());
        p.addr[15] = static_cast<std::uint8_t>(rng());
        const unsigned lengths[] = {0, 48, 64, 120, 124, 126, 128};
        p.len = static_cast<std::uint8_t>(lengths[rng() % 7]);
      }
      for (unsigned bit = p.len; bit < p.addr_bytes() * 8u; ++bit)
        p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
      t.allow.push_back({static_cast<std::uint32_t>(rng() % AC_SVC__COUNT), p});
    }
    std::string error;
    auto built = dpdk::DpdkTables::build(t, error);
    ASSERT_NE(built, nullptr) << error;
    ac_env reference{&t};
    for (int probe = 0; probe < 400; ++probe) {
      std::uint8_t a4[4] = {198, 51, static_cast<std::uint8_t>(99 + rng() % 4), static_cast<std::uint8_t>(rng())};
      std::uint8_t a6[16];
      inet_pton(AF_INET6, "2001:db8:ffff::", a6);
      a6[14] = static_cast<std::uint8_t>(rng() % 2);
      a6[15] = static_cast<std::uint8_t>(rng());
      for (std::uint32_t s = 0; s < AC_SVC__COUNT; ++s) {
        ++checks;
        ASSERT_EQ(built->allowed4(s, a4), ac_env_allowed4(&reference, s, a4))
            << "round " << round << ", service " << s << ", " << address_text(4, a4);
        ASSERT_EQ(built->allowed6(s, a6), ac_env_allowed6(&reference, s, a6))
            << "round " << round << ", service " << s << ", " << address_text(6, a6);
      }
    }
  }
  std::printf("%zu checks agreed\n", checks);
}

// `n` VIPs of one family from `first` on: exact addresses, or prefixes of lengths /27-/32 (IPv4)
// and /64-/128 (IPv6) one block apart. IPv4 beyond the documentation blocks uses 198.18.0.0/15
// (RFC 2544's benchmarking range); these tables never see a packet.
FastpathTables vip_set(int family, std::uint32_t n, bool prefixes) {
  FastpathTables t;
  for (std::uint32_t i = 0; i < n; ++i) {
    Prefix p;
    p.family = family;
    if (family == 4) {
      const std::uint32_t a = 0xC6120000u + (prefixes ? 32 * i : i);
      for (int b = 0; b < 4; ++b) p.addr[b] = static_cast<std::uint8_t>(a >> (24 - 8 * b));
      p.len = static_cast<std::uint8_t>(prefixes ? 27 + i % 6 : 32);
    } else {
      inet_pton(AF_INET6, "2001:db8:1::", p.addr.data());
      const unsigned lengths[] = {64, 72, 80, 96, 112, 128};
      if (prefixes) {
        p.addr[6] = static_cast<std::uint8_t>(i >> 8);
        p.addr[7] = static_cast<std::uint8_t>(i);
      } else {
        p.addr[14] = static_cast<std::uint8_t>(i >> 8);
        p.addr[15] = static_cast<std::uint8_t>(i);
      }
      p.len = static_cast<std::uint8_t>(prefixes ? lengths[i % 6] : 128);
    }
    t.vips.push_back({p, {AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0}});
  }
  t.ports[7] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  return t;
}

FastpathTables both(FastpathTables a, const FastpathTables& b) {
  a.vips.insert(a.vips.end(), b.vips.begin(), b.vips.end());
  a.allow.insert(a.allow.end(), b.allow.begin(), b.allow.end());
  return a;
}

FastpathTables with_allow_lists(FastpathTables t) {
  for (std::uint32_t s = 0; s < AC_SVC__COUNT; ++s) {
    t.allow.push_back({s, parse_prefix("198.51.100.0/24")});
    t.allow.push_back({s, parse_prefix("192.0.2.128/25")});
    t.allow.push_back({s, parse_prefix("2001:db8:ffff::/48")});
  }
  return t;
}

// The memory a set takes, measured on DPDK's heap, never exceeds the estimate a refusal names;
// a set without prefixes or allow lists makes no LPM, so it takes far less than one tbl24.
// The figures printed are docs/dpdk.md's "Table memory" table.
TEST(DpdkTableMemory, EachSetTakesNoMoreThanItsEstimate) {
  AC_REQUIRE_EAL();
  struct Case {
    const char* name;
    FastpathTables tables;
    bool lpm;
  };
  const Case cases[] = {
      {"1 IPv4 VIP", vip_set(4, 1, false), false},
      {"1 IPv6 VIP", vip_set(6, 1, false), false},
      {"4,096 IPv4 VIPs", vip_set(4, 4096, false), false},
      {"4,096 IPv6 VIPs", vip_set(6, 4096, false), false},
      {"65,536 IPv4 VIPs", vip_set(4, 65536, false), false},
      {"65,536 IPv6 VIPs", vip_set(6, 65536, false), false},
      {"32,768 + 32,768 VIPs", both(vip_set(4, 32768, false), vip_set(6, 32768, false)), false},
      {"4,096 IPv4 prefixes", vip_set(4, 4096, true), true},
      {"4,096 IPv6 prefixes", vip_set(6, 4096, true), true},
      {"1 + 1 VIPs, allow lists v4 + v6", with_allow_lists(both(vip_set(4, 1, false), vip_set(6, 1, false))), true},
      {"65,536 VIPs + 4,096 prefixes + allow lists",
       with_allow_lists(both(both(vip_set(4, 32768, false), vip_set(6, 28672, false)),
                             both(vip_set(4, 2048, true), vip_set(6, 2048, true)))),
       true},
  };
  std::printf("| set | measured | estimate |\n|---|---:|---:|\n");
  for (const Case& c : cases) {
    const std::size_t before = dpdk::dpdk_heap().used;
    std::string error;
    auto built = dpdk::DpdkTables::build(c.tables, error);
    ASSERT_NE(built, nullptr) << c.name << ": " << error;
    const std::size_t used = dpdk::dpdk_heap().used - before;
    const std::size_t estimate = dpdk::table_set_bytes(dpdk::table_shape(c.tables));
    std::printf("| %s | %.2f MiB | %.2f MiB |\n", c.name, used / 1048576.0, estimate / 1048576.0);
    EXPECT_LE(used, estimate) << c.name;
    if (!c.lpm) EXPECT_LT(used, std::size_t{64} << 20) << c.name << ": no prefixes, no allow lists, no LPM";
  }
}

TEST(DpdkTables, SetsOverTheLimitsAreRefusedNamingThem) {
  AC_REQUIRE_EAL();
  std::string error;
  EXPECT_EQ(dpdk::DpdkTables::build(vip_set(6, AC_VIP_MAX_DEFAULT + 1, false), error), nullptr);
  EXPECT_NE(error.find("65537 VIPs: at most 65536"), std::string::npos) << error;
  FastpathTables t = vip_set(4, 1, false);
  for (std::uint32_t i = 0; i <= AC_ALLOW_MAX_DEFAULT; ++i) t.allow.push_back({AC_SVC_ECHO, parse_prefix("192.0.2.0/24")});
  EXPECT_EQ(dpdk::DpdkTables::build(t, error), nullptr);
  EXPECT_NE(error.find("4097 allow prefixes: at most 4096"), std::string::npos) << error;
}

}  // namespace
}  // namespace anycastd::test
