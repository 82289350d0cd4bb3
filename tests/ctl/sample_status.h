// SPDX-License-Identifier: Apache-2.0
#pragma once

// A hand-built DaemonStatus for the report tests: one group up and healthy on bird, one draining
// on alias whose name needs escaping in every format, a check that has not run yet, counters.
// Taken at 2025-11-25T22:10:00Z.

#include <chrono>

#include "status/status.h"

namespace anycastd::ctl_test {

using namespace std::chrono_literals;

// 2025-11-25, UTC, at the given time of day.
inline WallClock::time_point on_the_day(int h, int m, int s, int ms = 0) {
  using namespace std::chrono;
  return WallClock::time_point(sys_days{year{2025} / November / 25}) + hours(h) + minutes(m) + seconds(s) +
         milliseconds(ms);
}

inline constexpr const char* kOddName = "we\"ird\\name\nx";

inline DaemonStatus sample_status() {
  DaemonStatus st;
  st.taken = on_the_day(22, 10, 0);
  st.taken_steady = std::chrono::steady_clock::time_point(1000h);
  st.version = "0.1.0";
  st.pid = 4242;
  st.config_path = "/etc/anycastd/anycastd.toml";
  st.started = on_the_day(20, 0, 0, 250);
  st.interface = "eth0";
  st.xdp_mode = "native";
  st.prog_id = 42;
  st.answering = true;
  st.reloads = 3;
  st.reload_failures = 1;
  st.last_reload_error = "line 3: unknown key";

  GroupStatus dns;
  dns.name = "dns";
  dns.vips = {parse_prefix("192.0.2.53"), parse_prefix("2001:db8::53")};
  dns.services = 1u << AC_SVC_ECHO;
  dns.state = GroupState::up;
  dns.since = on_the_day(22, 0, 0);
  dns.flaps = 2;
  dns.passes = 3;
  CheckStatus tcp;
  tcp.name = "tcp 192.0.2.53:53";
  tcp.ran = true;
  tcp.ok = true;
  tcp.detail = "connected";
  tcp.latency = 1234us;
  tcp.at = on_the_day(22, 9, 59, 500);
  tcp.runs = 120;
  tcp.failures = 1;
  CheckStatus datapath;
  datapath.name = "datapath";
  dns.checks = {tcp, datapath};
  dns.signal.kind = SignalKind::bird;
  dns.signal.target = "/run/bird/bird.ctl";
  dns.signal.reachable = true;
  dns.signal.contacted = true;
  dns.signal.last_ok = true;
  dns.signal.last_command = "announce";
  dns.signal.last_detail = "anycast_vips4: enabled";
  dns.signal.last_at = st.taken_steady - 600s;
  dns.signal.last_duration = 2ms;
  dns.signal.commands = 4;
  dns.signal.failures = 1;
  dns.signal.last_probe_at = st.taken_steady - 5s;

  GroupStatus odd;
  odd.name = kOddName;
  odd.vips = {parse_prefix("203.0.113.0/24")};
  odd.services = 1u << AC_SVC_ECHO;
  odd.state = GroupState::draining;
  odd.since = on_the_day(22, 9, 58);
  odd.flaps = 1;
  odd.penalty = 1500.5;
  odd.suppressed = true;
  odd.failures = 2;
  odd.held_out = "drained by anycastctl";
  CheckStatus exec;
  exec.name = "exec /usr/local/bin/probe \"x\"";
  exec.ran = true;
  exec.ok = false;
  exec.detail = "exit 1";
  exec.latency = 2500ms;
  exec.at = on_the_day(22, 9, 57);
  exec.runs = 10;
  exec.failures = 3;
  odd.checks = {exec};
  odd.signal.kind = SignalKind::alias;
  odd.signal.target = "lo";
  odd.signal.reachable = true;
  odd.signal.contacted = true;
  odd.signal.last_ok = false;
  odd.signal.last_command = "withdraw";
  odd.signal.last_detail = "RTNETLINK: no such address";
  odd.signal.last_at = st.taken_steady - 2s;
  odd.signal.commands = 2;
  odd.signal.failures = 1;
  odd.signal.consecutive_failures = 1;

  st.groups = {dns, odd};
  st.counters.action[AC_ACT_ANSWER] = 12;
  st.counters.action[AC_ACT_PASS] = 3;
  st.counters.pass[AC_PASS_NOT_UDP] = 2;
  st.counters.pass[AC_PASS_PORT_UNKNOWN] = 1;
  st.counters.answered[AC_SVC_ECHO] = 12;
  st.counters.answered_bytes[AC_SVC_ECHO] = 560;
  return st;
}

// The same daemon on the DPDK datapath: one worker lcore with counters, two port xstats.
inline DaemonStatus sample_dpdk_status() {
  DaemonStatus st = sample_status();
  st.datapath = "dpdk";
  st.interface = "ac0";
  st.xdp_mode.clear();
  st.prog_id = 0;
  DpdkStatus d;
  d.running = true;
  d.pid = 4343;
  d.restarts = 1;
  d.driver = "net_af_xdp";
  d.profile = "net_af_xdp";
  d.exception = "tap";
  d.exception_interface = "ac0";
  d.mac = "02:00:00:00:00:01";
  d.queues = 1;
  d.link_up = true;
  d.link_speed_mbps = 10000;
  channel::LcoreStats l{};
  l.lcore = 1;
  l.queue = 0;
  l.loops = 99;
  l.core.action[AC_ACT_ANSWER] = 7;
  l.datapath.rx_packets = 9;
  l.datapath.tx_answers = 7;
  l.datapath.to_kernel = 2;
  l.datapath.from_kernel = 3;
  d.lcores = {l};
  d.xstats = {{"rx_good_packets", 9}, {"tx_good_packets", 10}};
  DpdkPortStatus p;
  p.port = 0;
  p.driver = d.driver;
  p.profile = d.profile;
  p.exception_interface = d.exception_interface;
  p.mac = d.mac;
  p.queues = 1;
  p.link_up = true;
  p.link_speed_mbps = 10000;
  p.xstats = d.xstats;
  d.ports = {p};
  st.dpdk = d;
  return st;
}

}  // namespace anycastd::ctl_test
