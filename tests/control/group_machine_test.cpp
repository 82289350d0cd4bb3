// SPDX-License-Identifier: Apache-2.0
// Event sequences in, states and actions out.
#include "health/group_machine.h"

#include <gtest/gtest.h>

#include <cmath>

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

TEST(GroupMachine, DrainCountsFromTheWithdrawalSent) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.checks(false, 2);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
  // The speaker took 1500 ms to take the withdrawal (vtysh on a busy edge): the whole drain
  // still follows it.
  r.now += 1500ms;
  r.m.route_change_sent(r.now);
  Clock::time_point due;
  ASSERT_TRUE(r.m.next_deadline(&due));
  EXPECT_EQ(due, r.now + 2000ms);
  r.advance(1999ms);
  EXPECT_EQ(r.m.state(), S::draining);
  r.advance(1ms);
  EXPECT_EQ(r.m.state(), S::ready);
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

// ---- degraded: soft checks ------------------------------------------------------------------

struct SoftScenario : Scenario {
  void rounds(bool hard, bool soft, unsigned n) {
    for (unsigned i = 0; i < n; ++i) m.check_result(hard, now, soft);
  }
};

TEST(GroupMachine, SoftFailuresDegradeAndRecoverWithoutWithdrawing) {
  SoftScenario r;
  r.m.start(r.now);
  r.rounds(true, true, 3);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::start_answering, A::announce}));
  r.rounds(true, false, 1);
  EXPECT_EQ(r.m.state(), S::up) << "one soft failure is below fall";
  r.rounds(true, false, 1);
  EXPECT_EQ(r.m.state(), S::degraded);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce_degraded}));
  r.rounds(true, false, 10);
  EXPECT_EQ(r.m.state(), S::degraded) << "soft failures alone never withdraw";
  EXPECT_TRUE(r.m.take_actions().empty());
  r.rounds(true, true, 2);
  EXPECT_EQ(r.m.state(), S::degraded) << "back up after rise passing rounds, not before";
  r.rounds(true, true, 1);
  EXPECT_EQ(r.m.state(), S::up);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce}));
  EXPECT_EQ(r.m.flaps(), 0u);
}

TEST(GroupMachine, HardFailureWithdrawsFromDegraded) {
  SoftScenario r;
  r.m.start(r.now);
  r.rounds(true, false, 3);
  EXPECT_EQ(r.m.state(), S::degraded) << "rising with the soft checks failing announces degraded";
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::start_answering, A::announce_degraded}));
  r.rounds(false, false, 2);
  EXPECT_EQ(r.m.state(), S::draining);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
}

// ---- soft drain -----------------------------------------------------------------------------

GroupTiming soft_timing() {
  GroupTiming t = timing();
  t.soft_drain = 5000ms;
  return t;
}

TEST(GroupMachine, SoftDrainAnnouncesDrainingThenWithdrawsThenDrains) {
  Scenario r{GroupMachine{soft_timing()}};
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.set_held_out(true, r.now, true);
  EXPECT_EQ(r.m.state(), S::draining);
  EXPECT_TRUE(r.m.soft_draining());
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce_draining}));
  Clock::time_point when;
  ASSERT_TRUE(r.m.next_deadline(&when));
  EXPECT_EQ(when, r.now + 5000ms);
  r.advance(4999ms);
  EXPECT_TRUE(r.m.take_actions().empty()) << "still announced with the draining attributes";
  r.advance(1ms);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
  EXPECT_FALSE(r.m.soft_draining());
  EXPECT_EQ(r.m.state(), S::draining);
  r.advance(1999ms);
  EXPECT_TRUE(r.m.take_actions().empty()) << "then the drain as today: drain_ms of answers";
  r.advance(1ms);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::stop_answering}));
  EXPECT_EQ(r.m.state(), S::down) << "held out: stays down";
}

TEST(GroupMachine, SoftDrainUndoneBeforeTheWithdrawalAnnouncesAgain) {
  Scenario r{GroupMachine{soft_timing()}};
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.set_held_out(true, r.now, true);
  r.advance(1000ms);
  r.m.set_held_out(false, r.now);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce_draining, A::announce}));
  EXPECT_EQ(r.m.state(), S::up);
}

TEST(GroupMachine, HardDrainOrFailureDuringSoftDrainWithdrawsAtOnce) {
  Scenario r{GroupMachine{soft_timing()}};
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.set_held_out(true, r.now, true);
  r.m.set_held_out(true, r.now, false);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::announce_draining, A::withdraw}));

  Scenario f{GroupMachine{soft_timing()}};
  f.m.start(f.now);
  f.checks(true, 3);
  f.m.set_held_out(true, f.now, true);
  f.m.take_actions();
  f.checks(false, 2);
  EXPECT_EQ(f.m.take_actions(), (std::vector<A>{A::withdraw}));
  EXPECT_FALSE(f.m.soft_draining());
}

TEST(GroupMachine, SoftDrainWithoutSoftDrainTimeIsADrain) {
  Scenario r;
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.take_actions();
  r.m.set_held_out(true, r.now, true);
  EXPECT_EQ(r.m.take_actions(), (std::vector<A>{A::withdraw}));
}

// ---- dampening ------------------------------------------------------------------------------

GroupTiming damped_timing() {
  GroupTiming t = timing();
  t.dampening.penalty = 1000;
  t.dampening.suppress = 1500;
  t.dampening.reuse = 750;
  t.dampening.half_life = 60000ms;
  t.dampening.max_penalty = 4000;
  return t;
}

// One flap: up, then `fall` failing rounds, then the drain back to ready.
void flap(Scenario& r) {
  r.checks(true, 3);
  r.checks(false, 2);
  r.advance(2000ms);
}

TEST(GroupMachine, DampeningSuppressesUntilThePenaltyDecaysUnderReuse) {
  Scenario r{GroupMachine{damped_timing()}};
  r.m.start(r.now);
  flap(r);
  EXPECT_DOUBLE_EQ(r.m.penalty(r.now - 2000ms), 1000.0);
  EXPECT_FALSE(r.m.suppressed());
  r.checks(true, 3);
  EXPECT_EQ(r.m.state(), S::up) << "below suppress: announced again";
  r.checks(false, 2);
  // The first 1000 decayed over the 2 s of drain, plus 1000: past suppress.
  const double second = 1000.0 * std::exp2(-2.0 / 60.0) + 1000.0;
  EXPECT_NEAR(r.m.penalty(r.now), second, 1e-6);
  EXPECT_TRUE(r.m.suppressed());
  r.advance(2000ms);
  EXPECT_EQ(r.m.state(), S::ready);
  r.checks(true, 10);
  EXPECT_EQ(r.m.state(), S::ready) << "suppressed: healthy but not announced";
  // 1977.2 decays to 750 in log2(1977.2 / 750) = 1.3985 half-lives, 83.9 s after the
  // withdrawal (2 s of which went on the drain).
  r.now += 78000ms;
  r.checks(true, 1);
  EXPECT_EQ(r.m.state(), S::ready) << "penalty " << r.m.penalty(r.now) << " still above reuse";
  r.now += 5000ms;
  r.checks(true, 1);
  EXPECT_EQ(r.m.state(), S::up) << "penalty " << r.m.penalty(r.now) << " under reuse";
  EXPECT_FALSE(r.m.suppressed());
}

TEST(GroupMachine, DampeningPenaltyHalvesPerHalfLifeAndStopsAtMax) {
  Scenario r{GroupMachine{damped_timing()}};
  r.m.restore_penalty(3000, true, r.now);
  EXPECT_DOUBLE_EQ(r.m.penalty(r.now + 60000ms), 1500.0);
  EXPECT_DOUBLE_EQ(r.m.penalty(r.now + 120000ms), 750.0);
  r.m.restore_penalty(99999, true, r.now);
  EXPECT_DOUBLE_EQ(r.m.penalty(r.now), 4000.0) << "never above max_penalty";
  EXPECT_TRUE(r.m.suppressed());
}

TEST(GroupMachine, OperatorDrainsAreNotPenalised) {
  Scenario r{GroupMachine{damped_timing()}};
  r.m.start(r.now);
  r.checks(true, 3);
  r.m.set_held_out(true, r.now);
  r.advance(2000ms);
  r.m.set_held_out(false, r.now);
  r.checks(true, 3);
  r.m.stop(r.now);
  EXPECT_EQ(r.m.penalty(r.now), 0.0);
}

TEST(GroupMachine, DampeningConfigProblems) {
  Dampening d;
  EXPECT_FALSE(dampening_problem(d)) << "off by default";
  d.penalty = 1000;
  EXPECT_FALSE(dampening_problem(d));
  Dampening reuse_above = d;
  reuse_above.reuse = 3000;
  EXPECT_EQ(dampening_problem(reuse_above).why(),
            "health.dampening: reuse (3000) must be below suppress (2000): a suppressed group would never be let back");
  Dampening zero = d;
  zero.half_life = 0ms;
  EXPECT_EQ(dampening_problem(zero).why(), "health.dampening: half_life_ms must be positive");
  Dampening unreachable = d;
  unreachable.max_penalty = 1500;
  EXPECT_EQ(dampening_problem(unreachable).why(),
            "health.dampening: suppress (2000) is above max_penalty (1500): the penalty could never reach it");
}

}  // namespace
}  // namespace anycastd
