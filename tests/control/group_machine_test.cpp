// SPDX-License-Identifier: Apache-2.0
// Event sequences in, states and actions out.
#include "health/group_machine.h"

#include <gtest/gtest.h>

namespace anycastd {
namespace {

using A = GroupAction;
using S = GroupState;
using namespace std::chrono_literals;

GroupTiming timing() {
  GroupTiming t;
  t.rise = 3;
  t.fall = 2;
  t.interval = 1000ms;
  t.fast_interval = 200ms;
  t.drain = 2000ms;
  t.hold_down = 0ms;
  return t;
}

struct Scenario {
  GroupMachine m{timing()};
  Clock::time_point now{};
  void advance(Millis d) { now += d; m.tick(now); }
  void checks(bool healthy, unsigned n) {
    for (unsigned i = 0; i < n; ++i) m.check_result(healthy, now);
  }
};

TEST(GroupMachine, StartsReadyAndAnnouncesAfterRise) {
  Scenario r;
  r.m.start(r.now);
  EXPECT_EQ(r.m.state(), S::ready);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::start_answering}));
  r.checks(true, 2);
  EXPECT_EQ(r.m.state(), S::ready);
  EXPECT_EQ(r.m.check_interval(), 200ms) << "rising uses the fast interval";
  EXPECT_TRUE(r.m.take_actions().empty());
  r.checks(true, 1);
  EXPECT_EQ(r.m.state(), S::up);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce}));
  EXPECT_EQ(r.m.check_interval(), 1000ms);
}

TEST(GroupMachine, FailingChecksNeverAnnounce) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 2);
  r.checks(false, 1);
  r.checks(true, 2);
  EXPECT_EQ(r.m.state(), S::ready) << "a failure resets the rise count";
  r.checks(true, 1);
  EXPECT_EQ(r.m.state(), S::up);
}

TEST(GroupMachine, FallWithdrawsDrainsThenStopsAnswering) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.checks(false, 1);
  EXPECT_EQ(r.m.state(), S::up) << "one failure is below fall";
  EXPECT_EQ(r.m.check_interval(), 200ms) << "falling uses the fast interval";
  r.checks(false, 1);
  EXPECT_EQ(r.m.state(), S::draining);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
  EXPECT_EQ(r.m.flaps(), 1u);
  r.advance(1999ms);
  EXPECT_EQ(r.m.state(), S::draining) << "still answering within drain_ms";
  r.advance(1ms);
  // Drain over: stop answering, then (not held out) straight back to ready to rise again.
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::stop_answering, A::start_answering}));
  EXPECT_EQ(r.m.state(), S::ready);
  r.checks(true, 3);
  EXPECT_EQ(r.m.state(), S::up);
}

TEST(GroupMachine, HeldOutWithdrawsAndStaysDownUntilReleased) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.set_held_out(true, r.now);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
  r.advance(2000ms);
  EXPECT_EQ(r.m.state(), S::down);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::stop_answering}));
  r.checks(true, 10);
  EXPECT_EQ(r.m.state(), S::down) << "healthy checks do not override a maintenance hold";
  r.m.set_held_out(false, r.now);
  EXPECT_EQ(r.m.state(), S::ready);
  r.checks(true, 3);
  EXPECT_EQ(r.m.state(), S::up);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::start_answering, A::announce}));
}

TEST(GroupMachine, HeldOutWhileReadyStopsAtOnce) {
  Scenario r;
  r.m.start(r.now);
  r.m.take_actions();
  r.m.set_held_out(true, r.now);
  EXPECT_EQ(r.m.state(), S::down);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::stop_answering}));
}

TEST(GroupMachine, StartWhileHeldOutStaysDown) {
  Scenario r;
  r.m.set_held_out(true, r.now);
  r.m.start(r.now);
  EXPECT_EQ(r.m.state(), S::down);
  EXPECT_TRUE(r.m.take_actions().empty());
}

TEST(GroupMachine, StopDrainsAndFinishes) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.stop(r.now);
  EXPECT_EQ(r.m.state(), S::draining);
  EXPECT_FALSE(r.m.done());
  Clock::time_point deadline;
  ASSERT_TRUE(r.m.next_deadline(&deadline));
  EXPECT_EQ(deadline, r.now + 2000ms);
  r.advance(2000ms);
  EXPECT_TRUE(r.m.done());
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw, A::stop_answering}))
      << "stopping never goes back to ready";
}

TEST(GroupMachine, HoldDownDelaysReannouncement) {
  GroupTiming t = timing();
  t.hold_down = 5000ms;
  GroupMachine m(t);
  Clock::time_point now{};
  m.start(now);
  for (int i = 0; i < 3; ++i) m.check_result(true, now);
  m.check_result(false, now);
  m.check_result(false, now);  // withdrawn at t=0
  now += 2000ms;
  m.tick(now);  // drained, ready again
  for (int i = 0; i < 5; ++i) m.check_result(true, now);
  EXPECT_EQ(m.state(), S::ready) << "within hold-down";
  now += 3000ms;
  m.check_result(true, now);
  EXPECT_EQ(m.state(), S::up);
  EXPECT_EQ(m.flaps(), 1u);
}

}  // namespace
}  // namespace anycastd
