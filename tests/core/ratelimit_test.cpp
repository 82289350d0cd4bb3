// SPDX-License-Identifier: Apache-2.0
// The rate limiter of the packet core (ratelimit.h) natively, with a clock the test sets: the
// bucket arithmetic, how sources share buckets, and the verdict it gives the decision.

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "native_env.h"
#include "test_tables.h"
#include "vectors.h"

namespace anycastd::test {
namespace {

constexpr std::uint64_t kSecond = 1000000000ull;

ac_ratelimit_config limiter(std::uint64_t interval_ns, std::uint32_t burst, std::uint8_t p4 = 32, std::uint8_t p6 = 64) {
  ac_ratelimit_config c{};
  c.interval_ns = interval_ns;
  c.burst = burst;
  c.prefix4 = p4;
  c.prefix6 = p6;
  ac_ratelimit_config_masks(&c);
  return c;
}

// A limiter of `rate` per second and `burst`, its buckets and its clock.
struct Limiter {
  FastpathTables tables;
  std::map<std::string, ac_ratelimit_bucket> buckets;
  ac_env env{&tables};

  explicit Limiter(ac_ratelimit_config c) {
    tables.ratelimit[AC_SVC_NTP] = c;
    env.buckets = &buckets;
    env.mono_ns = 1000 * kSecond;  // any start: buckets measure differences
  }
  bool allows(const char* source) {
    Prefix p = parse_prefix(source);
    return ac_ratelimit(&env, AC_SVC_NTP, p.family == 6, p.addr.data()) == AC_RL_ALLOW;
  }
  // How many of n requests at the current time are allowed.
  int allowed_of(int n, const char* source) {
    int ok = 0;
    for (int i = 0; i < n; ++i) ok += allows(source);
    return ok;
  }
};

TEST(RateLimit, BurstThenRefused) {
  Limiter l(limiter(kSecond / 2, 4));  // 2 per second, burst 4
  EXPECT_EQ(l.allowed_of(4, "198.51.100.7"), 4);
  EXPECT_FALSE(l.allows("198.51.100.7"));
  EXPECT_FALSE(l.allows("198.51.100.7"));
}

TEST(RateLimit, RefillsWithTime) {
  Limiter l(limiter(kSecond / 2, 4));
  EXPECT_EQ(l.allowed_of(6, "198.51.100.7"), 4);
  l.env.mono_ns += kSecond / 2 - 1;  // just short of one token
  EXPECT_FALSE(l.allows("198.51.100.7"));
  l.env.mono_ns += 1;  // one token, and the part of one kept from the refused request's visit
  EXPECT_TRUE(l.allows("198.51.100.7"));
  EXPECT_FALSE(l.allows("198.51.100.7"));
  l.env.mono_ns += 3 * kSecond / 2;  // three tokens
  EXPECT_EQ(l.allowed_of(5, "198.51.100.7"), 3);
}

TEST(RateLimit, RefillStopsAtBurst) {
  Limiter l(limiter(kSecond, 3));
  EXPECT_EQ(l.allowed_of(3, "2001:db8:c::7"), 3);
  l.env.mono_ns += 3600 * kSecond;  // an hour's worth of tokens: still only the burst
  EXPECT_EQ(l.allowed_of(10, "2001:db8:c::7"), 3);
}

TEST(RateLimit, ClockGoingBackAddsNothing) {
  Limiter l(limiter(kSecond, 1));
  EXPECT_TRUE(l.allows("198.51.100.7"));
  l.env.mono_ns -= 10 * kSecond;
  EXPECT_FALSE(l.allows("198.51.100.7"));
  l.env.mono_ns += 10 * kSecond;  // back where the bucket was last seen: still nothing gained
  EXPECT_FALSE(l.allows("198.51.100.7"));
  l.env.mono_ns += kSecond;
  EXPECT_TRUE(l.allows("198.51.100.7"));
}

TEST(RateLimit, SourcesInOnePrefixShareABucket) {
  Limiter l(limiter(kSecond, 2, 24, 56));
  EXPECT_TRUE(l.allows("198.51.100.7"));
  EXPECT_TRUE(l.allows("198.51.100.200"));
  EXPECT_FALSE(l.allows("198.51.100.1"));  // same /24
  EXPECT_TRUE(l.allows("198.51.101.1"));   // the next /24
  EXPECT_EQ(l.allowed_of(3, "2001:db8:c:ff::1"), 2);
  EXPECT_FALSE(l.allows("2001:db8:c:0::2"));  // same /56 (2001:db8:c:0000::/56)
  EXPECT_TRUE(l.allows("2001:db8:c:100::1"));  // the next /56
  EXPECT_EQ(l.buckets.size(), 4u);
}

TEST(RateLimit, FamiliesAndServicesNeverShare) {
  Limiter l(limiter(kSecond, 1, 0, 0));  // /0: one bucket per family for everyone
  EXPECT_TRUE(l.allows("198.51.100.7"));
  EXPECT_FALSE(l.allows("203.0.113.1"));
  EXPECT_TRUE(l.allows("2001:db8::1"));
  EXPECT_FALSE(l.allows("2001:db8:ffff::1"));
  l.tables.ratelimit[AC_SVC_ECHO] = l.tables.ratelimit[AC_SVC_NTP];
  const std::uint8_t a[4] = {198, 51, 100, 7};
  EXPECT_EQ(ac_ratelimit(&l.env, AC_SVC_ECHO, 0, a), AC_RL_ALLOW);
}

TEST(RateLimit, KeyIsTheMaskedPrefix) {
  ac_ratelimit_config c = limiter(kSecond, 1, 20, 61);
  ac_ratelimit_key key;
  const std::uint8_t v4[4] = {198, 51, 0xAB, 0xCD};
  ac_ratelimit_key_make(&key, AC_SVC_NTP, 0, v4, &c);
  const std::uint8_t want4[16] = {198, 51, 0xA0};
  EXPECT_EQ(key.service, static_cast<std::uint32_t>(AC_SVC_NTP));
  EXPECT_EQ(key.family, 4u);
  EXPECT_EQ(Bytes(key.addr, key.addr + 16), Bytes(want4, want4 + 16));
  std::uint8_t v6[16];
  for (int i = 0; i < 16; ++i) v6[i] = 0xFF;
  ac_ratelimit_key_make(&key, AC_SVC_NTP, 1, v6, &c);
  const std::uint8_t want6[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF8};
  EXPECT_EQ(key.family, 6u);
  EXPECT_EQ(Bytes(key.addr, key.addr + 16), Bytes(want6, want6 + 16));
}

// DNS's slip reads `limited`: the requests over the limit since the last one allowed.
TEST(RateLimit, LimitedCountsOverLimitRequestsSinceTheLastAllowed) {
  Limiter l(limiter(kSecond, 1));
  EXPECT_TRUE(l.allows("198.51.100.7"));
  EXPECT_EQ(l.allowed_of(3, "198.51.100.7"), 0);
  ASSERT_EQ(l.buckets.size(), 1u);
  EXPECT_EQ(l.buckets.begin()->second.limited, 3u);
  l.env.mono_ns += kSecond;
  EXPECT_TRUE(l.allows("198.51.100.7"));
  EXPECT_EQ(l.buckets.begin()->second.limited, 0u);
}

// A reload that lowers the burst cuts what a bucket holds to it.
TEST(RateLimit, LowerBurstCutsAFullBucket) {
  Limiter l(limiter(kSecond, 10));
  EXPECT_TRUE(l.allows("198.51.100.7"));  // 9 left
  l.tables.ratelimit[AC_SVC_NTP].burst = 2;
  EXPECT_EQ(l.allowed_of(5, "198.51.100.7"), 2);
}

TEST(RateLimit, OffWithoutAnInterval) {
  Limiter l(limiter(0, 0));
  EXPECT_EQ(l.allowed_of(100, "198.51.100.7"), 100);
  EXPECT_TRUE(l.buckets.empty());
}

// Through the whole decision: the NTP request of the vector table, answered with the time while
// the source has tokens, with the RATE kiss-o'-death (the vector's bytes) after; only requests
// that would be answered spend tokens.
TEST(RateLimit, DecisionAnswersThenKisses) {
  const Vector* kod = nullptr;
  const Vector* control = nullptr;
  for (const Vector& v : test_vectors()) {
    if (v.name == "ntp_kod_v4") kod = &v;
    if (v.name == "ntp_kod_config_mode6_passes") control = &v;
  }
  ASSERT_TRUE(kod && control);
  Limiter l(limiter(3600 * kSecond, 2));
  l.tables = make_tables("ntp_kod");
  l.tables.ratelimit[AC_SVC_NTP] = limiter(3600 * kSecond, 2);
  const ac_ntp_state ntp = make_ntp_state("default");
  l.env.ntp = &ntp;
  auto run = [&](const Bytes& request, ac_verdict& v) {
    Bytes frame = request;
    ac_headers h;
    v = ac_decide(&l.env, frame.data(), frame.data() + frame.size(), &h);
    if (v.action == AC_ACT_ANSWER) ac_respond(&l.env, &h, v);
    return frame;
  };
  ac_verdict v;
  for (int i = 0; i < 3; ++i) run(control->request, v);  // passed: no tokens spent
  EXPECT_EQ(v.action, AC_ACT_PASS);
  for (int i = 0; i < 2; ++i) {
    Bytes out = run(kod->request, v);
    EXPECT_EQ(v.action, AC_ACT_ANSWER);
    EXPECT_EQ(v.limited, 0);
    EXPECT_EQ(out[kod->request.size() - 48 + 1], 11) << "stratum of a time answer";
  }
  Bytes out = run(kod->request, v);
  EXPECT_EQ(v.action, AC_ACT_ANSWER);
  EXPECT_EQ(v.limited, 1);
  EXPECT_TRUE(out == kod->reply) << hex_diff(kod->reply, out);
}

}  // namespace
}  // namespace anycastd::test
