// SPDX-License-Identifier: Apache-2.0
// The status report: DaemonStatus -> JSON (the daemon's side), JSON -> tables (anycastctl's).
#include <gtest/gtest.h>

#include "ctl/status_json.h"
#include "ctl/status_text.h"
#include "sample_status.h"

namespace anycastd::ctl {
namespace {

using nlohmann::json;
using ctl_test::on_the_day;
using ctl_test::sample_status;

TEST(StatusJson, Iso8601) {
  EXPECT_EQ(iso8601_utc(WallClock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(on_the_day(20, 0, 0, 250)), "2025-11-25T20:00:00.250Z");
  using namespace std::chrono;
  EXPECT_EQ(iso8601_utc(WallClock::time_point(sys_days{year{2024} / February / 29}) + 23h + 59min + 59s + 999ms +
                        999us),
            "2024-02-29T23:59:59.999Z");
}

TEST(StatusJson, DaemonFields) {
  json j = status_to_json(sample_status());
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["config"], "/etc/anycastd/anycastd.toml");
  EXPECT_EQ(j["interface"], "eth0");
  EXPECT_EQ(j["xdp_mode"], "native");
  EXPECT_EQ(j["prog_id"], 42);
  EXPECT_EQ(j["answering"], true);
  EXPECT_EQ(j["reloads"], 3);
  EXPECT_EQ(j["reload_failures"], 1);
  EXPECT_EQ(j["last_reload_error"], "line 3: unknown key");
  EXPECT_EQ(j["taken"], (json{{"utc", "2025-11-25T22:10:00.000Z"}, {"unix", 1764108600.0}, {"age_s", 0.0}}));
  EXPECT_EQ(j["started"], (json{{"utc", "2025-11-25T20:00:00.250Z"}, {"unix", 1764100800.25}, {"age_s", 7799.75}}));
}

TEST(StatusJson, Groups) {
  json j = status_to_json(sample_status());
  ASSERT_EQ(j["groups"].size(), 2u);
  const json& dns = j["groups"][0];
  EXPECT_EQ(dns["name"], "dns");
  EXPECT_EQ(dns["vips"], (json{"192.0.2.53/32", "2001:db8::53/128"}));
  EXPECT_EQ(dns["services"], (json{"echo"}));
  EXPECT_EQ(dns["state"], "up");
  EXPECT_EQ(dns["since"]["utc"], "2025-11-25T22:00:00.000Z");
  EXPECT_EQ(dns["since"]["age_s"], 600.0);
  EXPECT_EQ(dns["flaps"], 2);
  EXPECT_EQ(dns["passes"], 3);
  EXPECT_EQ(dns["failures"], 0);
  EXPECT_EQ(dns["held_out"], "");

  ASSERT_EQ(dns["checks"].size(), 2u);
  EXPECT_EQ(dns["checks"][0], (json{{"name", "tcp 192.0.2.53:53"},
                                    {"ran", true},
                                    {"ok", true},
                                    {"detail", "connected"},
                                    {"latency_ms", 1.234},
                                    {"at", {{"utc", "2025-11-25T22:09:59.500Z"}, {"unix", 1764108599.5}, {"age_s", 0.5}}},
                                    {"runs", 120},
                                    {"failures", 1}}));
  EXPECT_EQ(dns["checks"][1]["ran"], false);
  EXPECT_TRUE(dns["checks"][1]["at"].is_null()) << "a check that never ran has no time";

  // steady_clock times land on the wall clock through the snapshot's pair of "now"s.
  const json& route = dns["route"];
  EXPECT_EQ(route["kind"], "bird");
  EXPECT_EQ(route["target"], "/run/bird/bird.ctl");
  EXPECT_EQ(route["last_at"], (json{{"utc", "2025-11-25T22:00:00.000Z"}, {"unix", 1764108000.0}, {"age_s", 600.0}}));
  EXPECT_EQ(route["last_probe_at"]["utc"], "2025-11-25T22:09:55.000Z");
  EXPECT_EQ(route["last_duration_ms"], 2);
  EXPECT_EQ(route["commands"], 4);
  EXPECT_EQ(route["failures"], 1);
  EXPECT_EQ(route["summary"],
            "bird /run/bird/bird.ctl: reachable, last command ok (announce, 2 ms): anycast_vips4: enabled "
            "[1 of 4 commands failed]");

  const json& odd = j["groups"][1];
  EXPECT_EQ(odd["name"], ctl_test::kOddName);
  EXPECT_EQ(odd["state"], "draining");
  EXPECT_EQ(odd["held_out"], "drained by anycastctl");
  EXPECT_EQ(odd["penalty"], 1500.5);
  EXPECT_EQ(odd["suppressed"], true);
  EXPECT_EQ(odd["checks"][0]["latency_ms"], 2500.0);
  EXPECT_TRUE(odd["route"]["last_probe_at"].is_null());
}

TEST(StatusJson, CountersByName) {
  json c = status_to_json(sample_status())["counters"];
  EXPECT_EQ(c["packets"], (json{{"answer", 12}, {"pass", 3}, {"drop", 0}}));
  EXPECT_EQ(c["answered"], (json{{"echo", 12}, {"ntp", 0}, {"dns", 0}}));
  EXPECT_EQ(c["answered_bytes"], (json{{"echo", 560}, {"ntp", 0}, {"dns", 0}}));
  EXPECT_EQ(c["passed"].size(), static_cast<std::size_t>(AC_PASS__COUNT));
  EXPECT_EQ(c["passed"]["not_udp"], 2);
  EXPECT_EQ(c["passed"]["port_unknown"], 1);
  EXPECT_EQ(c["passed"]["not_ip"], 0);
}

TEST(StatusJson, UnsetSnapshotTimeMeansNow) {
  DaemonStatus st;
  st.started = WallClock::now() - std::chrono::seconds(30);
  json j = status_to_json(st);
  EXPECT_NEAR(j["started"]["age_s"].get<double>(), 30.0, 5.0);
  EXPECT_TRUE(j["groups"].empty());
}

TEST(StatusText, Ages) {
  EXPECT_EQ(format_age(0), "0.0s");
  EXPECT_EQ(format_age(0.44), "0.4s");
  EXPECT_EQ(format_age(12.9), "12s");
  EXPECT_EQ(format_age(184), "3m 4s");
  EXPECT_EQ(format_age(7800), "2h 10m");
  EXPECT_EQ(format_age(3 * 86400 + 4 * 3600 + 59), "3d 4h");
  EXPECT_EQ(format_age(-1), "0.0s");
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(StatusText, TablesPerGroupAndVip) {
  std::string text = format_status(status_to_json(sample_status()));
  SCOPED_TRACE(text);
  EXPECT_TRUE(has_line(text, "anycastd 0.1.0 (pid 4242), up 2h 9m since 2025-11-25T20:00:00.250Z"));
  EXPECT_TRUE(has_line(text, "config:     /etc/anycastd/anycastd.toml (3 reloads, 1 failed; last error: line 3: unknown key)"));
  EXPECT_TRUE(has_line(text, "fast path:  eth0, xdp native, program 42, answering"));

  // The groups at a glance: state, since when, flaps, held out, route. Columns as wide as their
  // widest cell (here the odd name, its newline shown as \n), FLAPS right-aligned.
  EXPECT_TRUE(has_line(text, "GROUP           STATE     SINCE                                  FLAPS  HELD OUT               ROUTE"));
  EXPECT_TRUE(has_line(text, "dns             up        2025-11-25T22:00:00.000Z (10m 0s ago)      2  -                      bird, reachable, announce ok"));
  EXPECT_TRUE(has_line(text, "we\"ird\\name\\nx  draining  2025-11-25T22:09:58.000Z (2.0s ago)        1  drained by anycastctl  alias, reachable, withdraw FAILED"));
  // Each VIP with its group's state.
  EXPECT_TRUE(has_line(text, "VIP               GROUP           STATE     SERVICES"));
  EXPECT_TRUE(has_line(text, "192.0.2.53/32     dns             up        echo"));
  EXPECT_TRUE(has_line(text, "2001:db8::53/128  dns             up        echo"));
  EXPECT_TRUE(has_line(text, "203.0.113.0/24    we\"ird\\name\\nx  draining  echo"));

  // Per group: checks with their last results, the route signal.
  EXPECT_TRUE(has_line(text, "group dns: up since 2025-11-25T22:00:00.000Z (10m 0s ago), 2 flaps"));
  EXPECT_TRUE(has_line(text, "  health:    3 passing, 0 failing in a row"));
  EXPECT_TRUE(has_line(text, "  CHECK              RESULT   LATENCY  LAST RUN  RUNS  FAILED  DETAIL"));
  EXPECT_TRUE(has_line(text, "  tcp 192.0.2.53:53  ok       1.23 ms  0.5s ago   120       1  connected"));
  EXPECT_TRUE(has_line(text, "  datapath           pending        -  never        0       0"));
  EXPECT_TRUE(has_line(text, "  route:     bird /run/bird/bird.ctl: reachable, last command ok (announce, 2 ms): "
                             "anycast_vips4: enabled [1 of 4 commands failed]"));
  EXPECT_TRUE(has_line(text, "group we\"ird\\name\\nx: draining since 2025-11-25T22:09:58.000Z (2.0s ago), 1 flap"));
  EXPECT_TRUE(has_line(text, "  held out:  drained by anycastctl"));
  EXPECT_TRUE(has_line(text, "  dampening: penalty 1500, suppressed"));
  EXPECT_TRUE(has_line(text, "  exec /usr/local/bin/probe \"x\"  FAILED  2500 ms  3.0s ago    10       3  exit 1"));

  // Counters: every service answered, pass reasons only where non-zero.
  EXPECT_TRUE(has_line(text, "  packets:   answer 12, drop 0, pass 3"));
  EXPECT_TRUE(has_line(text, "  answered:  dns 0 (0 bytes), echo 12 (560 bytes), ntp 0 (0 bytes)"));
  EXPECT_TRUE(has_line(text, "  passed:    not_udp 2, port_unknown 1"));
}

TEST(StatusJson, PerVipCounters) {
  DaemonStatus st = sample_status();
  EXPECT_FALSE(status_to_json(st).contains("vips")) << "a datapath without per-VIP counters: no vips[]";
  st.vip_counters = true;
  st.vip_series = 1;
  st.vips_over_cap = 1;
  st.vips.push_back({"192.0.2.53/32", "dns", 12, 3, 2});
  st.vips.push_back({"other", "", 1, 0, 0});
  json j = status_to_json(st);
  ASSERT_EQ(j["vips"].size(), 2u);
  EXPECT_EQ(j["vips"][0], json::parse(R"({"vip": "192.0.2.53/32", "group": "dns",
                                           "counters": {"answered": 12, "passed": 3, "dropped": 2}})"));
  EXPECT_EQ(j["vips"][1]["vip"], "other");
  EXPECT_EQ(j["vip_series"], json::parse(R"({"limit": 1, "over_limit": 1})"));

  std::string text = format_status(j);
  SCOPED_TRACE(text);
  EXPECT_TRUE(has_line(text, "per VIP"));
  EXPECT_TRUE(has_line(text, "VIP            GROUP  ANSWERED  PASSED  DROPPED"));
  EXPECT_TRUE(has_line(text, "192.0.2.53/32  dns          12       3        2"));
  EXPECT_TRUE(has_line(text, "other          -             1       0        0"));
  EXPECT_TRUE(has_line(text, "  1 VIP above the limit of 1 series ([metrics] vip_series): counted together as \"other\""));
}

TEST(VipCounterStatus, SeriesInOrderOtherLastWithGroups) {
  std::vector<VipEntry> vips = {
      {parse_prefix("192.0.2.1"), ac_vip_value{AC_VIP_F_ANSWERING, 1, 1, 5}},
      {parse_prefix("192.0.2.0/24"), ac_vip_value{AC_VIP_F_ANSWERING, 1, 0, 0}},
      {parse_prefix("2001:db8::1"), ac_vip_value{AC_VIP_F_ANSWERING, 1, 0, AC_VIP_STATS_OTHER}},
      {parse_prefix("2001:db8::2"), ac_vip_value{AC_VIP_F_ANSWERING, 1, 7, AC_VIP_STATS_OTHER}},
  };
  std::vector<ac_vip_stats> stats(AC_VIP_STATS_ENTRIES);
  stats[5] = {{10, 2, 1}};
  stats[0] = {{3, 4, 0}};
  stats[AC_VIP_STATS_OTHER] = {{6, 0, 9}};
  std::uint32_t over = 0;
  std::vector<VipCounterStatus> out = vip_counter_status(vips, stats, {"dns", "web"}, over);
  EXPECT_EQ(over, 2u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (VipCounterStatus{"192.0.2.1/32", "web", 10, 2, 1}));
  EXPECT_EQ(out[1], (VipCounterStatus{"192.0.2.0/24", "dns", 3, 4, 0}));
  EXPECT_EQ(out[2], (VipCounterStatus{"other", "", 6, 0, 9}));
  // No counters from the datapath: no series.
  EXPECT_TRUE(vip_counter_status(vips, {}, {"dns", "web"}, over).empty());
  EXPECT_EQ(over, 0u);
}

TEST(StatusJson, DpdkDatapath) {
  json j = status_to_json(ctl_test::sample_dpdk_status());
  EXPECT_EQ(j["datapath"], "dpdk");
  const json& d = j["dpdk"];
  EXPECT_EQ(d["running"], true);
  EXPECT_EQ(d["pid"], 4343);
  EXPECT_EQ(d["driver"], "net_af_xdp");
  EXPECT_EQ(d["exception_interface"], "ac0");
  EXPECT_EQ(d["restarts"], 1);
  ASSERT_EQ(d["lcores"].size(), 1u);
  EXPECT_EQ(d["lcores"][0]["lcore"], 1);
  EXPECT_EQ(d["lcores"][0]["counters"]["packets"]["answer"], 7);
  EXPECT_EQ(d["lcores"][0]["datapath"]["from_kernel"], 3);
  EXPECT_EQ(d["xstats"]["tx_good_packets"], 10);
  EXPECT_EQ(d["lcores"][0]["port"], 0);
  ASSERT_EQ(d["ports"].size(), 1u);
  EXPECT_EQ(d["ports"][0]["exception_interface"], "ac0");
  EXPECT_EQ(d["ports"][0]["link_up"], true);
  EXPECT_EQ(d["ports"][0]["datapath"]["rx_packets"], 9) << "the port's workers' counters, summed";
  EXPECT_EQ(d["ports"][0]["xstats"]["tx_good_packets"], 10);
  EXPECT_FALSE(status_to_json(sample_status()).contains("dpdk")) << "an XDP daemon has no dpdk section";
}

// Two uplinks: per-port counters are the sums of that port's own workers, and the text names
// every exception interface with a link that is down.
TEST(StatusJson, DpdkTwoPorts) {
  DaemonStatus st = ctl_test::sample_dpdk_status();
  DpdkStatus& d = *st.dpdk;
  channel::LcoreStats second = d.lcores[0];
  second.lcore = 2;
  second.port = 1;
  second.datapath.rx_packets = 5;
  d.lcores.push_back(second);
  DpdkPortStatus p = d.ports[0];
  p.port = 1;
  p.exception_interface = "ac1";
  p.link_up = false;
  d.ports.push_back(p);
  d.queues = 2;
  json j = status_to_json(st);
  ASSERT_EQ(j["dpdk"]["ports"].size(), 2u);
  EXPECT_EQ(j["dpdk"]["ports"][0]["datapath"]["rx_packets"], 9);
  EXPECT_EQ(j["dpdk"]["ports"][1]["datapath"]["rx_packets"], 5);
  EXPECT_EQ(j["dpdk"]["ports"][1]["link_up"], false);
  EXPECT_EQ(j["dpdk"]["lcores"][1]["port"], 1);
  std::string text = format_status(j);
  EXPECT_NE(text.find("exception tap on 2 ports: ac0, ac1 (link down)"), std::string::npos) << text;
}

TEST(StatusText, DpdkFastPathLine) {
  std::string text = format_status(status_to_json(ctl_test::sample_dpdk_status()));
  EXPECT_NE(text.find("fast path:  dpdk net_af_xdp (profile net_af_xdp), 1 queue, exception tap on ac0, pid 4343, "
                      "1 restart, answering\n"),
            std::string::npos)
      << text;
  DaemonStatus down = ctl_test::sample_dpdk_status();
  down.dpdk->running = false;
  down.dpdk->down_reason = "the DPDK datapath was killed by SIGKILL";
  text = format_status(status_to_json(down));
  EXPECT_NE(text.find("DOWN: the DPDK datapath was killed by SIGKILL"), std::string::npos) << text;
}

TEST(StatusText, SurvivesWhateverTheDaemonSends) {
  EXPECT_NO_THROW(format_status(json::object()));
  EXPECT_NO_THROW(format_status(json::array()));
  EXPECT_NO_THROW(format_status(json{{"groups", "many"}, {"pid", "x"}, {"counters", 3}}));
  EXPECT_NO_THROW(format_status(json{{"groups", json::array({1, json{{"checks", 5}, {"vips", {1, "a"}}}})}}));
  std::string text = format_status(json::object());
  EXPECT_NE(text.find("no groups"), std::string::npos) << text;
}

}  // namespace
}  // namespace anycastd::ctl
