// SPDX-License-Identifier: Apache-2.0
#pragma once

// How a group tells the routers that it can take traffic: the route signal. The group's driver
// turns the state machine's `announce` and `withdraw` actions (health/group_machine.h) into calls
// on one RouteSignal. docs/route-signals.md has the whole picture, the routing-daemon configs and
// what is not tested.
//
// Three kinds:
//   alias   the loopback alias is the signal: a router tracking it (static route + IP SLA, or a
//           routing daemon exporting the `lo` addresses) follows it. Implemented with the daemon's
//           LoopbackAddress (netlink.h): announce() adds every VIP of the group (all or none: the
//           ones added are removed again when one fails), withdraw() removes them,
//           carries_alias() is true so the driver leaves the aliases to the signal, probe() looks
//           the VIPs up in a LoopbackSnapshot. Carries no state but up, and no attribute.
//   bird    BirdSignal (bird_signal.h): `enable`/`disable` of static protocols over BIRD 2's
//           control socket; one set of protocols per state, the attributes in BIRD's config.
//   exabgp  ExabgpSignal (exabgp_signal.h): announce/withdraw over ExaBGP 4.2's named pipes,
//           the attributes on the announce line.
//
// One object per group, built from the group's [route] settings (the flat form's [route] plus the
// group's [group.route] overrides). Calls are synchronous and bounded by the signal's timeout, so
// a dead or wedged routing daemon costs at most that much time and never hangs the caller. Use an
// object from one thread at a time; status() may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/prefix.h"
#include "config/settings.h"

namespace anycastd {

// What a route signal needs to know of a group. The VIPs are passed on every call rather than
// fixed at construction because a reload may change them.
struct RouteGroup {
  std::string name;
  std::vector<Prefix> vips;
};

// "192.0.2.10/32 2001:db8::10/128": prefixes for a status detail or an error.
template <typename Range>
std::string prefix_words(const Range& prefixes) {
  std::string out;
  for (const Prefix& p : prefixes) out += (out.empty() ? "" : " ") + p.str();
  return out;
}

// A command the routing daemon refused, or could not be sent or answered in time. what() names
// the daemon's socket or pipe, the command and the daemon's own reply text where there is one.
class RouteSignalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The daemon was reached and answered, but refused: BIRD's 8xxx/9xxx reply, ExaBGP's "error".
class RouteSignalRefused : public RouteSignalError {
 public:
  using RouteSignalError::RouteSignalError;
};


// The outcome of the last command, kept without any I/O: what `anycastctl status` shows.
struct SignalStatus {
  SignalKind kind = SignalKind::alias;
  std::string target;        // "/run/bird/bird.ctl", "/run/exabgp/exabgp", "lo"
  bool reachable = false;    // the daemon answered the last exchange (command or probe)
  bool contacted = false;    // a command has been tried at all
  bool last_ok = false;      // the last command reached the daemon and was accepted
  std::string last_command;  // "announce up", "announce degraded", "announce draining", "withdraw" (probes are not commands)
  std::string last_detail;   // the daemon's reply on success, the error otherwise
  std::chrono::steady_clock::time_point last_at{};
  std::chrono::milliseconds last_duration{0};
  std::uint64_t commands = 0;
  std::uint64_t failures = 0;
  std::uint64_t consecutive_failures = 0;
  std::chrono::steady_clock::time_point last_probe_at{};

  // "bird /run/bird/bird.ctl: reachable, last command ok (announce, 2 ms): anycast_vips4: enabled"
  std::string summary() const;
};

// Whether the routing daemon holds the group's routes as announced, as far as it says.
enum class Announced { yes, no, partly, unknown };
std::string_view to_string(Announced a);

// A fresh look at the routing daemon (it is asked; nothing is changed).
struct SignalProbe {
  bool reachable = false;    // the daemon answered
  Announced announced = Announced::unknown;
  bool graceful_shutdown = false;  // the routes carry GRACEFUL_SHUTDOWN, i.e. are draining (where it can tell)
  std::string detail;        // "anycast_vips4 up, anycast_vips6 up; BGP sessions established 1/1"
  // Configuration mismatches worth a warning: a VIP the daemon would never announce, a route
  // the daemon announces that the group does not answer for, a protocol that does not exist.
  std::vector<std::string> problems;
};

class RouteSignal {
 public:
  virtual ~RouteSignal() = default;
  RouteSignal(const RouteSignal&) = delete;
  RouteSignal& operator=(const RouteSignal&) = delete;

  virtual SignalKind kind() const = 0;

  // True when announce()/withdraw() add and remove the loopback aliases themselves (alias).
  // False for the routing daemons: the driver adds the aliases when the group starts answering
  // and removes them when it stops, and the signal only moves the route.
  virtual bool carries_alias() const { return false; }

  // All of the group's VIPs in one routing-daemon transaction, announced in `state` with
  // `attributes`: the group's attributes of that state as the driver resolved them (draining:
  // with_graceful_shutdown), passed on every call so that a reload needs no new signal. Moving
  // between states is announcing again, and leaves no route withdrawn on the way. Idempotent:
  // announcing what is announced, or withdrawing what is not, succeeds. Throw RouteSignalError.
  // A signal uses only what signal_carries(kind()) says it carries; the config check refused
  // the rest (route_attributes_problem), so nothing given here is dropped silently.
  virtual void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) = 0;
  virtual void withdraw(const RouteGroup& group) = 0;

  // Whether announce() can tell `state` apart from up here. Where it cannot (alias; BIRD
  // without protocols for the state), the driver announces degraded as up and withdraws at
  // once instead of draining announced.
  virtual bool carries(RouteState state) const { return state == RouteState::up; }

  // Asks the daemon how it sees the group. Never throws for the daemon's sake: an unreachable
  // daemon is reported with reachable = false. Meant for status and for re-asserting the
  // group's state after the routing daemon restarted or was reconfigured (both forget what
  // anycastd told them; see docs/route-signals.md).
  virtual SignalProbe probe(const RouteGroup& group) = 0;

  // Mismatches visible without asking the daemon (e.g. an IPv6 VIP without an IPv6 next hop):
  // for config validation, before anything is started.
  virtual std::vector<std::string> config_problems(const RouteGroup& group) const;

  SignalStatus status() const;

 protected:
  RouteSignal(SignalKind kind, std::string target);
  // Runs `command`, timing it and recording the outcome in the status; a RouteSignalError is
  // recorded and rethrown. `command` returns the detail to keep on success.
  void run_recorded(std::string_view name, const std::function<std::string()>& command);
  // What a probe learnt about reachability; probes do not count as commands.
  void record_probe(bool reachable);

 private:
  mutable std::mutex status_mutex_;
  SignalStatus status_;
};

}  // namespace anycastd
