// SPDX-License-Identifier: Apache-2.0
// The route signals without routing daemons: BIRD's reply framing, the ExaBGP command lines and
// answer stream, the vtysh and gobgp command lines, config validation, and the failure paths
// against stand-ins that misbehave on purpose (silent, refusing, absent, hanging). None of these
// needs root.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "lab.h"
#include "route/bird_client.h"
#include "route/bird_signal.h"
#include "route/exabgp_pipe.h"
#include "route/exabgp_signal.h"
#include "route/bounded_command.h"
#include "route/frr_signal.h"
#include "route/gobgp_signal.h"

using namespace anycastd;
using namespace std::chrono_literals;
using testing::HasSubstr;

namespace {

RouteGroup dual_group() {
  return {"dns", {parse_prefix("192.0.2.10/32"), parse_prefix("2001:db8::10/128"), parse_prefix("192.0.2.11/32")}};
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// ---- BIRD's reply framing -------------------------------------------------------------------

TEST(BirdReply, MultiLineWithContinuations) {
  BirdReplyParser parser;
  std::string text =
      "2002-Name       Proto      Table      State  Since         Info\n"
      "1002-device1    Device     ---        up     22:19:17.353  \n"
      " anycast_vips4 Static     master4    up     22:19:28.362  \n"
      " uplink     BGP        ---        up     22:19:21.711  Established   \n"
      "0000 \n";
  EXPECT_EQ(parser.feed(text), text.size());
  ASSERT_TRUE(parser.done());
  BirdReply r = parser.take();
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(r.error());
  auto rows = r.rows(1002);
  ASSERT_EQ(rows.size(), 3u);
  auto protocols = parse_bird_protocols(rows);
  ASSERT_EQ(protocols.size(), 3u);
  EXPECT_EQ(protocols[1].name, "anycast_vips4");
  EXPECT_EQ(protocols[1].proto, "Static");
  EXPECT_EQ(protocols[1].state, "up");
  EXPECT_EQ(protocols[2].proto, "BGP");
  EXPECT_EQ(protocols[2].info, "Established");
}

TEST(BirdReply, SplitAnywhereAndStopsAtTheEnd) {
  std::string text = "0011-anycast_vips4: enabled\n anycast_vips6: enabled\n0000 \n0001 next";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    BirdReplyParser parser;
    std::size_t used = parser.feed(std::string_view(text).substr(0, cut));
    if (!parser.done()) used += parser.feed(std::string_view(text).substr(used));
    ASSERT_TRUE(parser.done()) << cut;
    EXPECT_EQ(text.substr(used), "0001 next") << cut;
    BirdReply r = parser.take();
    EXPECT_EQ(r.text(), "anycast_vips4: enabled; anycast_vips6: enabled") << cut;
    EXPECT_EQ(r.lines[1].code, 11) << cut;
  }
}

TEST(BirdReply, ErrorsAndAsyncLines) {
  BirdReplyParser parser;
  parser.feed("+some async message\n8003 No protocols match\n");
  ASSERT_TRUE(parser.done());
  BirdReply r = parser.take();
  EXPECT_TRUE(r.error());
  EXPECT_EQ(r.code, 8003);
  EXPECT_EQ(r.text(), "No protocols match");

  parser.feed("9001 syntax error, unexpected CF_SYM_UNDEFINED\n");
  EXPECT_TRUE(parser.take().error());

  EXPECT_THROW(parser.feed("HTTP/1.1 400 Bad Request\n"), RouteSignalError);
}

TEST(BirdPattern, MatchesLikeBird) {
  EXPECT_TRUE(bird_pattern_match("anycast_vips*", "anycast_vips4"));
  EXPECT_TRUE(bird_pattern_match("anycast_vips*", "anycast_vips"));
  EXPECT_TRUE(bird_pattern_match("anycast_vips?", "anycast_vips6"));
  EXPECT_FALSE(bird_pattern_match("anycast_vips?", "anycast_vips4_gshut"));
  EXPECT_TRUE(bird_pattern_match("*_gshut", "anycast_vips4_gshut"));
  EXPECT_TRUE(bird_pattern_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(bird_pattern_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(bird_pattern_match("exact", "exact"));
  EXPECT_FALSE(bird_pattern_match("exact", "exactly"));
}

TEST(BirdSignalConfig, RejectsWhatBirdWouldNotTake) {
  EXPECT_THROW(BirdSignal(BirdSignalConfig{"/run/bird/bird.ctl", {}, {}, 2000ms, {}}), std::invalid_argument);
  EXPECT_THROW(BirdSignal(BirdSignalConfig{"/run/bird/bird.ctl", {"a\" ; configure"}, {}, 2000ms, {}}),
               std::invalid_argument);
  EXPECT_THROW(BirdSignal(BirdSignalConfig{"/run/bird/bird.ctl", {"ok"}, {"two words"}, 2000ms, {}}),
               std::invalid_argument);
  EXPECT_NO_THROW(BirdSignal(BirdSignalConfig{"/run/bird/bird.ctl", {"anycast_vips*"}, {"g?"}, 2000ms, {}}));
}

// ---- ExaBGP's commands and answers ----------------------------------------------------------

TEST(ExabgpCommands, OneLinePerFamilyWithItsOwnNextHop) {
  ExabgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  c.next_hop6 = "2001:db8:100::2";
  c.communities = {"65001:100", "no-export"};
  auto vips = dual_group().vips;
  auto announce = exabgp_commands(ExabgpVerb::announce, vips, c, {});
  ASSERT_EQ(announce.size(), 2u);
  EXPECT_EQ(announce[0],
            "announce attributes next-hop 198.51.100.2 community [65001:100 no-export] nlri 192.0.2.10/32 192.0.2.11/32");
  EXPECT_EQ(announce[1], "announce attributes next-hop 2001:db8:100::2 community [65001:100 no-export] nlri 2001:db8::10/128");

  auto tagged = exabgp_commands(ExabgpVerb::announce, vips, c, with_graceful_shutdown({}));
  EXPECT_THAT(tagged[0], HasSubstr("community [65001:100 no-export 65535:0] nlri"));

  auto withdraw = exabgp_commands(ExabgpVerb::withdraw, vips, c, {});
  ASSERT_EQ(withdraw.size(), 2u);
  EXPECT_EQ(withdraw[0], "withdraw attributes next-hop 198.51.100.2 nlri 192.0.2.10/32 192.0.2.11/32");
  EXPECT_EQ(withdraw[1], "withdraw attributes next-hop 2001:db8:100::2 nlri 2001:db8::10/128");

  EXPECT_TRUE(exabgp_commands(ExabgpVerb::announce, {}, c, {}).empty());
}

TEST(ExabgpCommands, EveryAttributeOfAState) {
  ExabgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  c.communities = {"65001:100"};
  c.local_as = 64512;
  RouteAttributes a;
  a.med = 200;
  a.prepend = 2;
  a.communities = {"64512:666", "65001:100"};
  a.large_communities = {"64512:1:2"};
  a.local_preference = 50;
  auto lines = exabgp_commands(ExabgpVerb::announce, {parse_prefix("192.0.2.10/32")}, c, with_graceful_shutdown(a));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "announce attributes next-hop 198.51.100.2 local-preference 50 med 200 as-path [64512 64512 64512] "
            "community [65001:100 64512:666 65535:0] large-community [64512:1:2] nlri 192.0.2.10/32");
  // A withdrawal carries none of them.
  EXPECT_EQ(exabgp_commands(ExabgpVerb::withdraw, {parse_prefix("192.0.2.10/32")}, c, a)[0],
            "withdraw attributes next-hop 198.51.100.2 nlri 192.0.2.10/32");
}

TEST(ExabgpCommands, OverIbgpThePrependsAlone) {
  ExabgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  c.local_as = 65001;
  c.ibgp = true;
  RouteAttributes a;
  a.prepend = 3;
  EXPECT_EQ(exabgp_commands(ExabgpVerb::announce, {parse_prefix("192.0.2.10/32")}, c, a)[0],
            "announce attributes next-hop 198.51.100.2 as-path [65001 65001 65001] nlri 192.0.2.10/32");
  a.prepend = 0;
  EXPECT_EQ(exabgp_commands(ExabgpVerb::announce, {parse_prefix("192.0.2.10/32")}, c, a)[0],
            "announce attributes next-hop 198.51.100.2 nlri 192.0.2.10/32");
}

TEST(RouteAttributes, WhatEachSignalRefuses) {
  RouteAttributes a;
  EXPECT_FALSE(route_attributes_problem(SignalKind::alias, RouteState::up, a, false)) << "nothing set: nothing refused";
  a.med = 5;
  EXPECT_EQ(route_attributes_problem(SignalKind::alias, RouteState::degraded, a, false).why(),
            "degraded (alias signal): cannot carry med");
  EXPECT_FALSE(route_attributes_problem(SignalKind::exabgp, RouteState::degraded, a, false));
  a.local_preference = 10;
  EXPECT_THAT(route_attributes_problem(SignalKind::exabgp, RouteState::up, a, false).why(),
              HasSubstr("local_preference is sent to iBGP peers only"));
  EXPECT_FALSE(route_attributes_problem(SignalKind::exabgp, RouteState::up, a, true));
  RouteAttributes bad;
  bad.communities = {"65536:1"};
  EXPECT_THAT(route_attributes_problem(SignalKind::exabgp, RouteState::up, bad, false).why(),
              HasSubstr("community \"65536:1\" is not ASN:VALUE"));
  bad.communities.clear();
  bad.large_communities = {"1:2:4294967296"};
  EXPECT_THAT(route_attributes_problem(SignalKind::exabgp, RouteState::up, bad, false).why(),
              HasSubstr("large community \"1:2:4294967296\""));
  EXPECT_EQ(with_graceful_shutdown(with_graceful_shutdown({})).communities, (std::vector<std::string>{"65535:0"}))
      << "added once";
  RouteAttributes prepend;
  prepend.prepend = 3;
  EXPECT_FALSE(route_attributes_problem(SignalKind::gobgp, RouteState::degraded, prepend, false)) << "gobgp prepends";
  EXPECT_THAT(route_attributes_problem(SignalKind::frr, RouteState::degraded, prepend, false).why(),
              HasSubstr("[route.frr] degraded_route_map"));
}

TEST(ExabgpCommands, MissingNextHopIsAnError) {
  ExabgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  try {
    exabgp_commands(ExabgpVerb::announce, dual_group().vips, c, {});
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("next_hop6"));
    EXPECT_THAT(e.what(), HasSubstr("2001:db8::10/128"));
  }
  c.pipe = "/nonexistent/exabgp";
  ExabgpSignal signal(c);
  auto problems = signal.config_problems(dual_group());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("IPv6"));
}

TEST(ExabgpSignalConfig, RejectsBadNextHopsAndCommunities) {
  auto make = [](std::string nh4, std::string nh6, std::vector<std::string> communities) {
    ExabgpSignalConfig c;
    c.next_hop4 = std::move(nh4);
    c.next_hop6 = std::move(nh6);
    c.communities = std::move(communities);
    ExabgpSignal s(c);
  };
  EXPECT_NO_THROW(make("198.51.100.2", "2001:db8:100::2", {"65001:100", "no-export", "0:0", "65535:65535"}));
  EXPECT_THROW(make("2001:db8::1", "", {}), std::invalid_argument);
  EXPECT_THROW(make("", "198.51.100.2", {}), std::invalid_argument);
  EXPECT_THROW(make("198.51.100.0/24", "", {}), std::invalid_argument);
  EXPECT_THROW(make("self", "", {}), std::invalid_argument);
  EXPECT_THROW(make("", "", {"65536:1"}), std::invalid_argument);
  EXPECT_THROW(make("", "", {"1:2 nlri 203.0.113.0/24"}), std::invalid_argument);
  EXPECT_THROW(make("", "", {"blackhole"}), std::invalid_argument);
}

TEST(ExabgpAnswers, FenceDiscardsLeftoversAndCountsAnswers) {
  ExabgpAnswerReader reader(3);
  // Left over from an earlier exchange, then our version fence, then answers out of order.
  reader.feed("done\nneighbor 198.51.100.1 ipv4 unicast 192.0.2.10/32 next-hop 198.51.100.2\ndone\n");
  EXPECT_FALSE(reader.saw_version());
  reader.feed("exabgp 4.2.21\ndo");
  EXPECT_TRUE(reader.saw_version());
  EXPECT_FALSE(reader.fenced());
  reader.feed("ne\nerror\nPeer AS\n198.51.100.1 65000 0:00:05 established 2 2\ndone\n");
  EXPECT_TRUE(reader.fenced());
  EXPECT_FALSE(reader.complete());
  reader.feed("done\n");
  ASSERT_TRUE(reader.complete());
  auto& r = reader.result();
  EXPECT_EQ(r.version, "exabgp 4.2.21");
  EXPECT_EQ(r.stale_lines, 3u);
  ASSERT_EQ(r.answers.size(), 3u);
  EXPECT_FALSE(r.answers[0].ok());
  EXPECT_TRUE(r.answers[1].ok());
  EXPECT_EQ(r.answers[1].output.size(), 2u);
}

TEST(ExabgpAnswers, VersionLeftoverWithoutItsDoneIsNotTheFence) {
  ExabgpAnswerReader reader(1);
  reader.feed("exabgp 4.2.21\nerror\nexabgp 4.2.21\ndone\ndone\n");
  ASSERT_TRUE(reader.complete());
  EXPECT_EQ(reader.result().stale_lines, 2u);
  EXPECT_TRUE(reader.result().answers[0].ok());
}

// ---- BIRD failures, against stand-ins -------------------------------------------------------

TEST(BirdSignalErrors, MissingSocketNamesThePath) {
  route_lab::TempDir dir;
  std::string path = dir / "no-bird.ctl";
  BirdSignal signal({path, {"anycast_vips4"}, {}, 1000ms, {}});
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalRefused&) {
    FAIL() << "a missing socket is not a refusal";
  } catch (const RouteSignalError& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("no such socket"));
    EXPECT_THAT(e.what(), HasSubstr("group dns: announce"));
  }
  SignalStatus st = signal.status();
  EXPECT_TRUE(st.contacted);
  EXPECT_FALSE(st.reachable);
  EXPECT_FALSE(st.last_ok);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_THAT(st.summary(), HasSubstr("FAILED"));

  SignalProbe p = signal.probe(dual_group());
  EXPECT_FALSE(p.reachable);
  EXPECT_EQ(p.announced, Announced::unknown);
  EXPECT_THAT(p.detail, HasSubstr(path));
}

namespace {

// A unix socket server standing in for BIRD, with a behaviour chosen per test.
class FakeBird {
 public:
  enum class Mode { silent, refuse, hang_up };
  FakeBird(const std::string& path, Mode mode) : mode_(mode) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 4) != 0)
      throw std::runtime_error("fake bird: cannot listen on " + path);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeBird() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(listener_, nullptr, nullptr);
      if (c < 0) continue;
      if (mode_ == Mode::hang_up) {
        ::close(c);
        continue;
      }
      if (mode_ == Mode::refuse) {
        std::string hello = "0001 BIRD 2.0.12 ready.\n";
        (void)!::write(c, hello.data(), hello.size());
        char buf[256];
        if (::read(c, buf, sizeof buf) > 0) {
          std::string no = "8007 Access denied\n";
          (void)!::write(c, no.data(), no.size());
        }
      }
      // silent: hold the connection without a word until the client gives up
      while (!stop_) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 20) > 0) {
          char buf[256];
          if (::read(c, buf, sizeof buf) <= 0) break;
        }
      }
      ::close(c);
    }
  }

  Mode mode_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST(BirdSignalErrors, SilentBirdTimesOutInsteadOfHanging) {
  route_lab::TempDir dir;
  std::string path = dir / "bird.ctl";
  FakeBird fake(path, FakeBird::Mode::silent);
  BirdSignal signal({path, {"anycast_vips4"}, {}, 300ms, {}});
  auto t0 = std::chrono::steady_clock::now();
  try {
    signal.withdraw(dual_group());
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error after %.0f ms (timeout 300 ms): %s\n", ms_since(t0), e.what());
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("greeting did not arrive in time"));
  }
}

TEST(BirdSignalErrors, RefusalCarriesBirdsText) {
  route_lab::TempDir dir;
  std::string path = dir / "bird.ctl";
  FakeBird fake(path, FakeBird::Mode::refuse);
  BirdSignal signal({path, {"anycast_vips4"}, {}, 1000ms, {}});
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalRefused& e) {
    EXPECT_THAT(e.what(), HasSubstr("enable \"anycast_vips4\""));
    EXPECT_THAT(e.what(), HasSubstr("Access denied"));
  }
  EXPECT_TRUE(signal.status().reachable);
}

TEST(BirdSignalErrors, HangUpIsReported) {
  route_lab::TempDir dir;
  std::string path = dir / "bird.ctl";
  FakeBird fake(path, FakeBird::Mode::hang_up);
  BirdSignal signal({path, {"anycast_vips4"}, {}, 1000ms, {}});
  EXPECT_THROW(
      {
        try {
          signal.announce(dual_group(), RouteState::up, {});
        } catch (const RouteSignalError& e) {
          EXPECT_THAT(e.what(), HasSubstr("closed the connection"));
          throw;
        }
      },
      RouteSignalError);
}

TEST(BirdSignalErrors, LeftOverSocketFileIsConnectionRefused) {
  route_lab::TempDir dir;
  std::string path = dir / "bird.ctl";
  {
    FakeBird gone(path, FakeBird::Mode::silent);  // binds the path; closing leaves the file
  }
  BirdSignal signal({path, {"anycast_vips4"}, {}, 1000ms, {}});
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("connection refused"));
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
}

TEST(BirdSignalErrors, FullListenQueueTimesOut) {
  route_lab::TempDir dir;
  std::string path = dir / "bird.ctl";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);  // never accepts: a wedged BIRD
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int f = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ::connect(f, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(f);
  }
  BirdSignal signal({path, {"anycast_vips4"}, {}, 300ms, {}});
  auto t0 = std::chrono::steady_clock::now();
  try {
    signal.announce(dual_group(), RouteState::up, {});
    ADD_FAILURE() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error after %.0f ms (timeout 300 ms): %s\n", ms_since(t0), e.what());
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), testing::AnyOf(HasSubstr("connect timed out"), HasSubstr("did not arrive in time")));
  }
  for (int f : fillers) ::close(f);
  ::close(listener);
}

// ---- ExaBGP failures, against stand-ins -----------------------------------------------------

namespace {

ExabgpSignalConfig fake_exabgp_config(const std::string& base, std::chrono::milliseconds timeout = 1000ms) {
  ExabgpSignalConfig c;
  c.pipe = base;
  c.next_hop4 = "198.51.100.2";
  c.next_hop6 = "2001:db8:100::2";
  c.timeout = timeout;
  return c;
}

void make_fifos(const std::string& base) {
  ASSERT_EQ(::mkfifo((base + ".in").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((base + ".out").c_str(), 0600), 0);
}

// Reads BASE.in like ExaBGP's pipe helper and answers each line on BASE.out the way ExaBGP
// does (a fresh non-blocking open per line), with "exabgp 4.2.21" + done for `version` and
// `verdict` (or nothing, if empty) for everything else.
class FakeExabgp {
 public:
  FakeExabgp(std::string base, std::string verdict, bool ack = true)
      : base_(std::move(base)), verdict_(std::move(verdict)), ack_(ack) {
    in_ = ::open((base_ + ".in").c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (in_ < 0) throw std::runtime_error("fake exabgp: cannot open " + base_ + ".in");
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeExabgp() {
    stop_ = true;
    thread_.join();
    ::close(in_);
  }
  std::vector<std::string> received() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  void answer(const std::string& text) {
    int out = ::open((base_ + ".out").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (out < 0) return;
    (void)!::write(out, text.data(), text.size());
    ::close(out);
  }
  void serve() {
    std::string pending;
    while (!stop_) {
      pollfd p{in_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(in_, buf, sizeof buf);
      if (n <= 0) continue;
      pending.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        {
          std::lock_guard lock(mutex_);
          lines_.push_back(line);
        }
        if (line == "version")
          answer(ack_ ? "exabgp 4.2.21\ndone\n" : "exabgp 4.2.21\n");
        else if (!verdict_.empty())
          answer(verdict_ + "\n");
      }
    }
  }

  std::string base_, verdict_;
  bool ack_;
  int in_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace

TEST(ExabgpSignalErrors, MissingPipesAreNamed) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  ExabgpSignal signal(fake_exabgp_config(base));
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr(base + ".out does not exist"));
    EXPECT_THAT(e.what(), HasSubstr("mkfifo"));
  }
}

TEST(ExabgpSignalErrors, NobodyReadingMeansExabgpIsNotRunning) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  make_fifos(base);
  ExabgpSignal signal(fake_exabgp_config(base));
  try {
    signal.withdraw(dual_group());
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("nobody reads ExaBGP pipe " + base + ".in"));
    EXPECT_THAT(e.what(), HasSubstr("not running"));
  }
  EXPECT_FALSE(signal.probe(dual_group()).reachable);
}

TEST(ExabgpSignalErrors, RegularFileIsNotAPipe) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  route_lab::write_file(base + ".in", "");
  route_lab::write_file(base + ".out", "");
  ExabgpSignal signal(fake_exabgp_config(base));
  EXPECT_THROW(
      {
        try {
          signal.announce(dual_group(), RouteState::up, {});
        } catch (const RouteSignalError& e) {
          EXPECT_THAT(e.what(), HasSubstr("is not a named pipe"));
          throw;
        }
      },
      RouteSignalError);
}

TEST(ExabgpSignalErrors, ErrorAnswerIsARefusalNamingTheCommands) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  make_fifos(base);
  FakeExabgp fake(base, "error");
  ExabgpSignal signal(fake_exabgp_config(base));
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalRefused& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("answered error to 2 of 2 commands"));
    EXPECT_THAT(e.what(), HasSubstr("announce attributes next-hop 198.51.100.2 nlri 192.0.2.10/32 192.0.2.11/32"));
  }
  EXPECT_TRUE(signal.status().reachable);
  // A refused announce may still have half-worked: the next withdraw covers every VIP.
  auto lines = fake.received();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "version");
}

TEST(ExabgpSignalErrors, SilentExabgpTimesOut) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  make_fifos(base);
  FakeExabgp fake(base, "");
  ExabgpSignal signal(fake_exabgp_config(base, 300ms));
  auto t0 = std::chrono::steady_clock::now();
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error after %.0f ms (timeout 300 ms): %s\n", ms_since(t0), e.what());
    EXPECT_THAT(e.what(), HasSubstr("acknowledged 0 of 2 commands within 300 ms"));
  }
}

TEST(ExabgpSignalErrors, AcknowledgementsOffIsRecognised) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  make_fifos(base);
  FakeExabgp fake(base, "", false);  // what exabgp.api.ack = false looks like: output, no verdicts
  ExabgpSignal signal(fake_exabgp_config(base, 300ms));
  try {
    signal.announce(dual_group(), RouteState::up, {});
    FAIL() << "no error";
  } catch (const RouteSignalError& e) {
    std::printf("  error: %s\n", e.what());
    EXPECT_THAT(e.what(), HasSubstr("exabgp.api.ack is off"));
  }
}

TEST(ExabgpSignal, ReannounceWithdrawsVipsThatLeftTheGroup) {
  route_lab::TempDir dir;
  std::string base = dir / "exabgp";
  make_fifos(base);
  FakeExabgp fake(base, "done");
  ExabgpSignal signal(fake_exabgp_config(base));
  RouteGroup g = dual_group();
  signal.announce(g, RouteState::up, {});
  g.vips = {parse_prefix("192.0.2.10/32")};
  signal.announce(g, RouteState::up, {});
  signal.withdraw(g);
  auto lines = fake.received();
  std::vector<std::string> expected = {
      "version",
      "announce attributes next-hop 198.51.100.2 nlri 192.0.2.10/32 192.0.2.11/32",
      "announce attributes next-hop 2001:db8:100::2 nlri 2001:db8::10/128",
      "version",
      "withdraw attributes next-hop 198.51.100.2 nlri 192.0.2.11/32",
      "withdraw attributes next-hop 2001:db8:100::2 nlri 2001:db8::10/128",
      "announce attributes next-hop 198.51.100.2 nlri 192.0.2.10/32",
      "version",
      "withdraw attributes next-hop 198.51.100.2 nlri 192.0.2.10/32",
  };
  EXPECT_EQ(lines, expected);
  EXPECT_TRUE(signal.status().last_ok);
  EXPECT_EQ(signal.status().commands, 3u);
}

// ---- bounded commands (vtysh, gobgp) -----------------------------------------------------------

// Killed: gone, or a zombie waiting for whoever reaps orphans here.
bool dead(const std::string& pid) {
  auto stat = route_lab::run("cat /proc/" + pid + "/stat 2>/dev/null").output;
  auto close = stat.rfind(')');
  return close == std::string::npos || stat.substr(close + 2, 1) == "Z" || stat.substr(close + 2, 1) == "X";
}

TEST(BoundedCommand, KeepsStdoutStderrAndExitStatusApart) {
  CommandOutcome r = run_bounded({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"},
                                 std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(r.end, CommandOutcome::End::exited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(5000ms), "exit 3");
}

TEST(BoundedCommand, HangingCommandsWholeProcessGroupIsKilledAtTheDeadline) {
  route_lab::TempDir dir;
  std::string pidfile = dir / "grandchild";
  // The grandchild would outlive a kill of the child alone.
  CommandOutcome r = run_bounded({"/bin/sh", "-c", "sleep 60 & echo $! > " + pidfile + "; wait"},
                                 std::chrono::steady_clock::now() + 300ms);
  EXPECT_EQ(r.end, CommandOutcome::End::timed_out);
  EXPECT_EQ(r.describe(300ms), "timed out after 300 ms, process group killed");
  std::string pid = route_lab::read_file(pidfile);
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(route_lab::wait_until([&] { return dead(pid); }, 2s, 10ms)) << "the grandchild survived";
}

TEST(BoundedCommand, LeftoversOfAFinishedCommandAreKilled) {
  route_lab::TempDir dir;
  std::string pidfile = dir / "grandchild";
  CommandOutcome r = run_bounded({"/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $! > " + pidfile},
                                 std::chrono::steady_clock::now() + 5s);
  EXPECT_TRUE(r.ok()) << r.describe(5000ms);
  std::string pid = route_lab::read_file(pidfile);
  EXPECT_TRUE(route_lab::wait_until([&] { return dead(pid); }, 2s, 10ms)) << "the grandchild survived";
}

TEST(BoundedCommand, MissingProgramAndRelativePathAreNotStarted) {
  CommandOutcome r = run_bounded({"/nonexistent/vtysh"}, std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(r.end, CommandOutcome::End::not_started);
  EXPECT_EQ(r.describe(5000ms), "cannot run /nonexistent/vtysh: No such file or directory");
  r = run_bounded({"vtysh"}, std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(r.end, CommandOutcome::End::not_started);
  EXPECT_THAT(r.err, HasSubstr("not an absolute path"));
}

TEST(BoundedCommand, OutputBeyondTheLimitIsDroppedWithoutBlocking) {
  CommandOutcome r = run_bounded({"/bin/sh", "-c", "head -c 1000000 /dev/zero"}, std::chrono::steady_clock::now() + 5s, 1000);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_TRUE(r.truncated);
}

// ---- FRR ---------------------------------------------------------------------------------------

TEST(FrrSignal, NetworkCommandsPerFamily) {
  auto c = frr_network_commands(65001, {parse_prefix("192.0.2.10/32"), parse_prefix("2001:db8::10/128")}, "anycast",
                                {parse_prefix("192.0.2.11/32")});
  EXPECT_EQ(c, (std::vector<std::string>{"configure terminal", "router bgp 65001", "address-family ipv4 unicast",
                                         "no network 192.0.2.11/32", "network 192.0.2.10/32 route-map anycast",
                                         "exit-address-family", "address-family ipv6 unicast",
                                         "network 2001:db8::10/128 route-map anycast", "exit-address-family"}));
  EXPECT_EQ(frr_network_commands(65001, {parse_prefix("192.0.2.10/32")}, "", {}),
            (std::vector<std::string>{"configure terminal", "router bgp 65001", "address-family ipv4 unicast",
                                      "network 192.0.2.10/32", "exit-address-family"}));
  EXPECT_TRUE(frr_network_commands(65001, {}, "anycast", {}).empty());
}

TEST(FrrSignal, VtyshArgvNamesTheInstanceAndBgpd) {
  FrrSignalConfig c;
  c.asn = 65001;
  c.pathspace = "edge";
  EXPECT_EQ(frr_vtysh_argv(c, {"show version"}),
            (std::vector<std::string>{"/usr/bin/vtysh", "-N", "edge", "-d", "bgpd", "-c", "show version"}));
  c.pathspace.clear();
  c.vty_socket = "/run/frr-edge";
  EXPECT_EQ(frr_vtysh_argv(c, {"a", "b"}), (std::vector<std::string>{"/usr/bin/vtysh", "--vty_socket", "/run/frr-edge",
                                                                     "-d", "bgpd", "-c", "a", "-c", "b"}));
}

TEST(FrrSignal, NetworksAreReadFromTheRightRouterBgp) {
  const char* config =
      "Building configuration...\n"
      "\n"
      "Current configuration:\n"
      "!\n"
      "frr version 8.4.4\n"
      "router bgp 65001\n"
      " bgp router-id 198.51.100.2\n"
      " no bgp network import-check\n"
      " neighbor 198.51.100.1 remote-as 65000\n"
      " !\n"
      " address-family ipv4 unicast\n"
      "  network 192.0.2.10/32 route-map anycast\n"
      "  network 192.0.2.11/32\n"
      " exit-address-family\n"
      " !\n"
      " address-family ipv6 unicast\n"
      "  network 2001:db8::10/128 route-map anycast-gshut\n"
      " exit-address-family\n"
      "exit\n"
      "!\n"
      "router bgp 65001 vrf blue\n"
      " address-family ipv4 unicast\n"
      "  network 192.0.2.99/32\n"
      " exit-address-family\n"
      "exit\n"
      "!\n"
      "route-map anycast permit 10\n"
      " set community 65001:100 additive\n"
      "exit\n";
  auto n = frr_parse_networks(config, 65001);
  EXPECT_EQ(n, (std::map<Prefix, std::string>{{parse_prefix("192.0.2.10/32"), "anycast"},
                                              {parse_prefix("192.0.2.11/32"), ""},
                                              {parse_prefix("2001:db8::10/128"), "anycast-gshut"}}));
  EXPECT_TRUE(frr_parse_networks(config, 65002).empty());
}

// A stand-in vtysh: a script that logs its arguments and does what `body` says.
struct FakeVtysh {
  route_lab::TempDir dir;
  std::string path = dir / "vtysh";
  explicit FakeVtysh(const std::string& body) {
    route_lab::write_file(path, "#!/bin/sh\necho \"$@\" >> " + (dir / "calls") + "\n" + body + "\n");
    ::chmod(path.c_str(), 0755);
  }
  FrrSignalConfig config(std::chrono::milliseconds timeout = 2000ms) const {
    FrrSignalConfig c;
    c.vtysh = path;
    c.asn = 65001;
    c.route_map = "anycast";
    c.timeout = timeout;
    return c;
  }
};

TEST(FrrSignalErrors, BgpdDownIsUnreachableWithVtyshsWords) {
  FakeVtysh vtysh("echo 'Exiting: failed to connect to any daemons.' >&2; exit 1");
  FrrSignal signal(vtysh.config());
  try {
    signal.announce(dual_group(), RouteState::up, {});
    ADD_FAILURE() << "no error";
  } catch (const RouteSignalRefused& e) {
    ADD_FAILURE() << "a refusal: " << e.what();
  } catch (const RouteSignalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("group dns: announce up: vtysh default instance (bgpd AS 65001)"));
    EXPECT_THAT(e.what(), HasSubstr("exit 1: Exiting: failed to connect to any daemons."));
  }
  SignalStatus st = signal.status();
  EXPECT_TRUE(st.contacted);
  EXPECT_FALSE(st.reachable);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_FALSE(signal.probe(dual_group()).reachable);
}

TEST(FrrSignalErrors, RefusalKeepsTheMessage) {
  FakeVtysh vtysh("echo 'BGP is already running; AS is 65002'; exit 1");
  FrrSignal signal(vtysh.config());
  try {
    signal.announce(dual_group(), RouteState::up, {});
    ADD_FAILURE() << "no error";
  } catch (const RouteSignalRefused& e) {
    EXPECT_THAT(e.what(), HasSubstr("exit 1: BGP is already running; AS is 65002"));
    EXPECT_THAT(e.what(), HasSubstr("network 192.0.2.10/32 route-map anycast"));
  }
  EXPECT_TRUE(signal.status().reachable);
}

TEST(FrrSignalErrors, HangingVtyshIsKilledAtTheTimeout) {
  FakeVtysh vtysh("sleep 60");
  FrrSignal signal(vtysh.config(200ms));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(signal.withdraw(dual_group()), RouteSignalError);
  std::printf("[measure] frr withdraw against a hanging vtysh returned after %.1f ms (timeout 200)\n", ms_since(t0));
  EXPECT_THAT(signal.status().last_detail, HasSubstr("timed out after 200 ms, process group killed"));
  EXPECT_FALSE(signal.status().reachable);
}

TEST(FrrSignalErrors, MissingVtyshIsNamed) {
  FrrSignalConfig c;
  c.vtysh = "/nonexistent/vtysh";
  c.asn = 65001;
  FrrSignal signal(c);
  try {
    signal.announce(dual_group(), RouteState::up, {});
    ADD_FAILURE() << "no error";
  } catch (const RouteSignalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot run /nonexistent/vtysh: No such file or directory"));
  }
}

// vtysh stops at a `no network` bgpd refuses: the withdrawal removes only what bgpd has.
TEST(FrrSignal, WithdrawRemovesOnlyWhatBgpdHas) {
  FakeVtysh vtysh(
      "case \"$*\" in *'show running-config'*) printf 'router bgp 65001\\n address-family ipv4 unicast\\n  network "
      "192.0.2.10/32 route-map anycast\\n exit-address-family\\nexit\\n';; esac");
  FrrSignal signal(vtysh.config());
  signal.withdraw(dual_group());
  std::string calls = route_lab::read_file(vtysh.dir / "calls");
  EXPECT_THAT(calls, HasSubstr("no network 192.0.2.10/32"));
  EXPECT_THAT(calls, testing::Not(HasSubstr("no network 192.0.2.11/32")));
  EXPECT_THAT(calls, testing::Not(HasSubstr("2001:db8::10")));
  EXPECT_EQ(signal.status().last_detail, "no network 192.0.2.10/32");
}

TEST(FrrSignal, GracefulShutdownNeedsItsRouteMap) {
  FakeVtysh vtysh("exit 0");
  FrrSignal plain(vtysh.config());
  EXPECT_FALSE(plain.carries(RouteState::draining));
  EXPECT_FALSE(plain.carries(RouteState::degraded));
  EXPECT_THROW(plain.announce(dual_group(), RouteState::draining, with_graceful_shutdown({})), RouteSignalError);
  FrrSignalConfig c = vtysh.config();
  c.gshut_route_map = "anycast-gshut";
  FrrSignal tagged(c);
  EXPECT_TRUE(tagged.carries(RouteState::draining));
  tagged.announce(dual_group(), RouteState::draining, with_graceful_shutdown({}));
  EXPECT_THAT(route_lab::read_file(vtysh.dir / "calls"), HasSubstr("network 192.0.2.10/32 route-map anycast-gshut"));
}

TEST(FrrSignal, DegradedIsAnnouncedWithItsRouteMap) {
  FakeVtysh vtysh("exit 0");
  FrrSignalConfig c = vtysh.config();
  c.degraded_route_map = "anycast-degraded";
  FrrSignal signal(c);
  EXPECT_TRUE(signal.carries(RouteState::degraded));
  EXPECT_FALSE(signal.carries(RouteState::draining));
  signal.announce(dual_group(), RouteState::degraded, {});
  std::string calls = route_lab::read_file(vtysh.dir / "calls");
  EXPECT_THAT(calls, HasSubstr("network 192.0.2.10/32 route-map anycast-degraded"));
  EXPECT_THAT(calls, HasSubstr("network 2001:db8::10/128 route-map anycast-degraded"));
  EXPECT_EQ(signal.status().last_command, "announce degraded");
}

TEST(FrrSignal, BadConfigIsRefusedAtConstruction) {
  FrrSignalConfig c;
  EXPECT_THROW(FrrSignal{c}, std::invalid_argument) << "no asn";
  c.asn = 65001;
  c.vtysh = "vtysh";
  EXPECT_THROW(FrrSignal{c}, std::invalid_argument);
}

// ---- GoBGP -------------------------------------------------------------------------------------

TEST(GobgpSignal, RibArguments) {
  GobgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  c.communities = {"65001:100"};
  EXPECT_EQ(gobgp_rib_args(GobgpVerb::add, parse_prefix("192.0.2.10/32"), c),
            (std::vector<std::string>{"global", "rib", "add", "-a", "ipv4", "192.0.2.10/32", "nexthop", "198.51.100.2",
                                      "origin", "igp", "community", "65001:100"}));
  EXPECT_EQ(gobgp_rib_args(GobgpVerb::add, parse_prefix("192.0.2.10/32"), c, with_graceful_shutdown({})),
            (std::vector<std::string>{"global", "rib", "add", "-a", "ipv4", "192.0.2.10/32", "nexthop", "198.51.100.2",
                                      "origin", "igp", "community", "65001:100,65535:0"}));
  RouteAttributes degraded;
  degraded.med = 500;
  degraded.communities = {"65001:100", "64512:666"};
  degraded.large_communities = {"64512:1:2", "64512:3:4"};
  degraded.local_preference = 50;
  EXPECT_EQ(gobgp_rib_args(GobgpVerb::add, parse_prefix("192.0.2.10/32"), c, degraded),
            (std::vector<std::string>{"global", "rib", "add", "-a", "ipv4", "192.0.2.10/32", "nexthop", "198.51.100.2",
                                      "origin", "igp", "community", "65001:100,64512:666", "med", "500", "local-pref", "50",
                                      "large-community", "64512:1:2,64512:3:4"}));
  EXPECT_EQ(gobgp_rib_args(GobgpVerb::del, parse_prefix("2001:db8::10/128"), c),
            (std::vector<std::string>{"global", "rib", "del", "-a", "ipv6", "2001:db8::10/128"}));
  EXPECT_THROW(gobgp_rib_args(GobgpVerb::add, parse_prefix("2001:db8::10/128"), c), RouteSignalError);
}

TEST(GobgpSignal, PrependRepeatsGobgpdsAs) {
  GobgpSignalConfig c;
  c.next_hop4 = "198.51.100.2";
  RouteAttributes a;
  a.prepend = 2;
  EXPECT_EQ(gobgp_rib_args(GobgpVerb::add, parse_prefix("192.0.2.10/32"), c, a, 4200000000u),
            (std::vector<std::string>{"global", "rib", "add", "-a", "ipv4", "192.0.2.10/32", "nexthop", "198.51.100.2",
                                      "origin", "igp", "aspath", "4200000000,4200000000"}));
  EXPECT_THROW(gobgp_rib_args(GobgpVerb::add, parse_prefix("192.0.2.10/32"), c, a), RouteSignalError) << "no AS";
  // As gobgp 3.10 printed it in the lab.
  EXPECT_EQ(gobgp_parse_global_as(
                R"({"asn":65001,"router_id":"198.51.100.2","listen_port":179,"listen_addresses":["198.51.100.2"]})"),
            65001u);
  EXPECT_EQ(gobgp_parse_global_as(R"({"router_id":"198.51.100.2"})"), 0u);
  EXPECT_EQ(gobgp_parse_global_as(R"({"asn":4294967296})"), 0u);
  EXPECT_EQ(gobgp_parse_global_as(R"({"asn":-1})"), 0u);
  EXPECT_EQ(gobgp_parse_global_as("rpc error: code = Unavailable"), 0u);
}

TEST(GobgpSignalErrors, UnreachableGobgpdAndHangingCliAreBounded) {
  route_lab::TempDir dir;
  std::string cli = dir / "gobgp";
  route_lab::write_file(cli, "#!/bin/sh\necho 'context deadline exceeded' >&2\nexit 1\n");
  ::chmod(cli.c_str(), 0755);
  GobgpSignalConfig c;
  c.gobgp = cli;
  c.api = "unix:///nonexistent/gobgpd.sock";
  c.next_hop4 = "198.51.100.2";
  c.next_hop6 = "2001:db8:100::2";
  GobgpSignal down(c);
  try {
    down.announce(dual_group(), RouteState::up, {});
    ADD_FAILURE() << "no error";
  } catch (const RouteSignalRefused& e) {
    ADD_FAILURE() << "a refusal: " << e.what();
  } catch (const RouteSignalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("gobgpd API unix:///nonexistent/gobgpd.sock"));
    EXPECT_THAT(e.what(), HasSubstr("exit 1: context deadline exceeded"));
  }
  EXPECT_FALSE(down.status().reachable);

  route_lab::write_file(cli, "#!/bin/sh\nsleep 60\n");
  c.timeout = 200ms;
  GobgpSignal hanging(c);
  EXPECT_THROW(hanging.withdraw(dual_group()), RouteSignalError);
  EXPECT_THAT(hanging.status().last_detail, HasSubstr("timed out after 200 ms, process group killed"));
  EXPECT_EQ(hanging.status().failures, 1u);
}
