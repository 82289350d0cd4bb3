// SPDX-License-Identifier: Apache-2.0
// The Prometheus text (a golden written out by hand) and the HTTP listener over real TCP on the
// loopback, ephemeral ports only.
#include <gtest/gtest.h>

#include <atomic>

#include "ctl_test_util.h"
#include "metrics/metrics_server.h"
#include "metrics/render_metrics.h"
#include "sample_status.h"

namespace anycastd::metrics {
namespace {

using namespace ctl_test;

constexpr const char* kGolden = R"(# HELP anycastd_info The running anycastd's version, as a label; always 1.
# TYPE anycastd_info gauge
anycastd_info{version="0.1.0"} 1
# HELP anycastd_start_time_seconds When the daemon started, in seconds since the Unix epoch.
# TYPE anycastd_start_time_seconds gauge
anycastd_start_time_seconds 1764100800.25
# HELP anycastd_answering 1 while the fast path's global switch is on.
# TYPE anycastd_answering gauge
anycastd_answering 1
# HELP anycastd_reloads_total Configuration reloads, accepted or not.
# TYPE anycastd_reloads_total counter
anycastd_reloads_total 3
# HELP anycastd_reload_failures_total Configuration reloads rejected; the configuration before them stayed in force.
# TYPE anycastd_reload_failures_total counter
anycastd_reload_failures_total 1
# HELP anycastd_packets_total Frames the fast path decided on, by verdict.
# TYPE anycastd_packets_total counter
anycastd_packets_total{action="answer"} 12
anycastd_packets_total{action="pass"} 3
anycastd_packets_total{action="drop"} 0
# HELP anycastd_passed_total Frames the fast path passed to the kernel, by reason.
# TYPE anycastd_passed_total counter
anycastd_passed_total{reason="not_ip"} 0
anycastd_passed_total{reason="vlan_too_deep"} 0
anycastd_passed_total{reason="truncated"} 0
anycastd_passed_total{reason="bad_ip_header"} 0
anycastd_passed_total{reason="bad_ip_length"} 0
anycastd_passed_total{reason="not_vip"} 0
anycastd_passed_total{reason="ip_options"} 0
anycastd_passed_total{reason="ip_fragment"} 0
anycastd_passed_total{reason="ipv6_ext_header"} 0
anycastd_passed_total{reason="not_udp"} 2
anycastd_passed_total{reason="bad_udp_length"} 0
anycastd_passed_total{reason="bad_udp_checksum"} 0
anycastd_passed_total{reason="port_unknown"} 1
anycastd_passed_total{reason="service_off"} 0
anycastd_passed_total{reason="not_answering"} 0
anycastd_passed_total{reason="src_invalid"} 0
anycastd_passed_total{reason="src_not_allowed"} 0
anycastd_passed_total{reason="src_port_reserved"} 0
anycastd_passed_total{reason="ntp_length"} 0
anycastd_passed_total{reason="ntp_version"} 0
anycastd_passed_total{reason="ntp_control"} 0
anycastd_passed_total{reason="ntp_mode"} 0
anycastd_passed_total{reason="ntp_no_clock"} 0
anycastd_passed_total{reason="dns_malformed"} 0
anycastd_passed_total{reason="dns_not_query"} 0
anycastd_passed_total{reason="dns_qdcount"} 0
anycastd_passed_total{reason="dns_class"} 0
anycastd_passed_total{reason="dns_qtype"} 0
anycastd_passed_total{reason="dns_sections"} 0
anycastd_passed_total{reason="dns_edns"} 0
anycastd_passed_total{reason="dns_long_name"} 0
anycastd_passed_total{reason="dns_slow_answer"} 0
anycastd_passed_total{reason="dns_no_room"} 0
anycastd_passed_total{reason="dns_no_table"} 0
anycastd_passed_total{reason="dns_signed_proof"} 0
anycastd_passed_total{reason="multi_buffer"} 0
# HELP anycastd_answered_total Frames the fast path answered, by service.
# TYPE anycastd_answered_total counter
anycastd_answered_total{service="echo"} 12
anycastd_answered_total{service="ntp"} 0
anycastd_answered_total{service="dns"} 0
# HELP anycastd_answered_bytes_total Bytes of the frames the fast path answered, by service.
# TYPE anycastd_answered_bytes_total counter
anycastd_answered_bytes_total{service="echo"} 560
anycastd_answered_bytes_total{service="ntp"} 0
anycastd_answered_bytes_total{service="dns"} 0
# HELP anycastd_rate_limited_total Requests over their source's rate limit, by service (NTP: answered with a RATE kiss-o'-death).
# TYPE anycastd_rate_limited_total counter
anycastd_rate_limited_total{service="echo"} 0
anycastd_rate_limited_total{service="ntp"} 0
anycastd_rate_limited_total{service="dns"} 0
# HELP anycastd_dns_answers_total DNS queries the fast path answered, by outcome (their sum is answered_total{service="dns"}).
# TYPE anycastd_dns_answers_total counter
anycastd_dns_answers_total{outcome="noerror"} 0
anycastd_dns_answers_total{outcome="nodata"} 0
anycastd_dns_answers_total{outcome="nxdomain"} 0
anycastd_dns_answers_total{outcome="referral"} 0
anycastd_dns_answers_total{outcome="refused"} 0
anycastd_dns_answers_total{outcome="truncated"} 0
anycastd_dns_answers_total{outcome="badvers"} 0
anycastd_dns_answers_total{outcome="slipped"} 0
anycastd_dns_answers_total{outcome="badcookie"} 0
# HELP anycastd_dns_do_answers_total Of those, answers to queries with the DO bit (signed zones: with RRSIGs and proofs).
# TYPE anycastd_dns_do_answers_total counter
anycastd_dns_do_answers_total 0
# HELP anycastd_group_state The group's state: 1 for the one it is in, 0 for the others.
# TYPE anycastd_group_state gauge
anycastd_group_state{group="dns",state="down"} 0
anycastd_group_state{group="dns",state="ready"} 0
anycastd_group_state{group="dns",state="up"} 1
anycastd_group_state{group="dns",state="degraded"} 0
anycastd_group_state{group="dns",state="draining"} 0
anycastd_group_state{group="we\"ird\\name\nx",state="down"} 0
anycastd_group_state{group="we\"ird\\name\nx",state="ready"} 0
anycastd_group_state{group="we\"ird\\name\nx",state="up"} 0
anycastd_group_state{group="we\"ird\\name\nx",state="degraded"} 0
anycastd_group_state{group="we\"ird\\name\nx",state="draining"} 1
# HELP anycastd_group_state_since_seconds When the group entered its current state, in seconds since the Unix epoch.
# TYPE anycastd_group_state_since_seconds gauge
anycastd_group_state_since_seconds{group="dns"} 1764108000
anycastd_group_state_since_seconds{group="we\"ird\\name\nx"} 1764108598
# HELP anycastd_group_held_out 1 while the group is held out of service (anycastctl drain, maintenance file).
# TYPE anycastd_group_held_out gauge
anycastd_group_held_out{group="dns"} 0
anycastd_group_held_out{group="we\"ird\\name\nx"} 1
# HELP anycastd_group_flaps_total Withdrawals of the group's route since the daemon started.
# TYPE anycastd_group_flaps_total counter
anycastd_group_flaps_total{group="dns"} 2
anycastd_group_flaps_total{group="we\"ird\\name\nx"} 1
# HELP anycastd_group_dampening_penalty The group's dampening penalty now ([health.dampening]; 0 when off).
# TYPE anycastd_group_dampening_penalty gauge
anycastd_group_dampening_penalty{group="dns"} 0
anycastd_group_dampening_penalty{group="we\"ird\\name\nx"} 1500.5
# HELP anycastd_group_suppressed 1 while dampening holds the group withdrawn.
# TYPE anycastd_group_suppressed gauge
anycastd_group_suppressed{group="dns"} 0
anycastd_group_suppressed{group="we\"ird\\name\nx"} 1
# HELP anycastd_check_up 1 if the check's last run passed; 0 if it failed or has not run yet.
# TYPE anycastd_check_up gauge
anycastd_check_up{group="dns",check="tcp 192.0.2.53:53"} 1
anycastd_check_up{group="dns",check="datapath"} 0
anycastd_check_up{group="we\"ird\\name\nx",check="exec /usr/local/bin/probe \"x\""} 0
# HELP anycastd_check_latency_seconds How long the check's last run took.
# TYPE anycastd_check_latency_seconds gauge
anycastd_check_latency_seconds{group="dns",check="tcp 192.0.2.53:53"} 0.001234
anycastd_check_latency_seconds{group="we\"ird\\name\nx",check="exec /usr/local/bin/probe \"x\""} 2.5
# HELP anycastd_check_runs_total Runs of the check.
# TYPE anycastd_check_runs_total counter
anycastd_check_runs_total{group="dns",check="tcp 192.0.2.53:53"} 120
anycastd_check_runs_total{group="dns",check="datapath"} 0
anycastd_check_runs_total{group="we\"ird\\name\nx",check="exec /usr/local/bin/probe \"x\""} 10
# HELP anycastd_check_failures_total Runs of the check that failed.
# TYPE anycastd_check_failures_total counter
anycastd_check_failures_total{group="dns",check="tcp 192.0.2.53:53"} 1
anycastd_check_failures_total{group="dns",check="datapath"} 0
anycastd_check_failures_total{group="we\"ird\\name\nx",check="exec /usr/local/bin/probe \"x\""} 3
# HELP anycastd_hook_runs_total Runs of the hook ([[hook]] number `hook`) for the group.
# TYPE anycastd_hook_runs_total counter
# HELP anycastd_hook_failures_total Runs of the hook that did not exit 0 (timeouts and programs that did not start included).
# TYPE anycastd_hook_failures_total counter
# HELP anycastd_hook_timeouts_total Runs of the hook killed at its timeout.
# TYPE anycastd_hook_timeouts_total counter
# HELP anycastd_hook_coalesced_total State changes of the group absorbed by one already waiting for its hooks (queue full).
# TYPE anycastd_hook_coalesced_total counter
# HELP anycastd_route_signal_up 1 if the routing daemon (or the loopback) answered the last exchange and took the last command.
# TYPE anycastd_route_signal_up gauge
anycastd_route_signal_up{group="dns",signal="bird"} 1
anycastd_route_signal_up{group="we\"ird\\name\nx",signal="alias"} 0
# HELP anycastd_route_commands_total Announce, withdraw and graceful-shutdown commands sent.
# TYPE anycastd_route_commands_total counter
anycastd_route_commands_total{group="dns",signal="bird"} 4
anycastd_route_commands_total{group="we\"ird\\name\nx",signal="alias"} 2
# HELP anycastd_route_command_failures_total Route commands that failed: not delivered, not answered in time, or refused.
# TYPE anycastd_route_command_failures_total counter
anycastd_route_command_failures_total{group="dns",signal="bird"} 1
anycastd_route_command_failures_total{group="we\"ird\\name\nx",signal="alias"} 1
)";

TEST(RenderMetrics, Golden) { EXPECT_EQ(render_metrics(sample_status()), kGolden); }

// A group's hooks (docs/hooks.md): a series per group and hook, by the hook's position in the file.
TEST(RenderMetrics, HookSeries) {
  DaemonStatus st = sample_status();
  HookStatus h;
  h.index = 2;
  h.runs = 7;
  h.failures = 3;
  h.timeouts = 1;
  st.groups[0].hooks.hooks = {h};
  st.groups[0].hooks.coalesced = 4;
  std::string text = render_metrics(st);
  for (const char* line : {"anycastd_hook_runs_total{group=\"dns\",hook=\"2\"} 7\n",
                           "anycastd_hook_failures_total{group=\"dns\",hook=\"2\"} 3\n",
                           "anycastd_hook_timeouts_total{group=\"dns\",hook=\"2\"} 1\n",
                           "anycastd_hook_coalesced_total{group=\"dns\"} 4\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  EXPECT_EQ(text.find("hook=\"0\""), std::string::npos) << "the other group has no hooks: no series";
}

TEST(RenderMetrics, DpdkFamilies) {
  std::string text = render_metrics(ctl_test::sample_dpdk_status());
  for (const char* line : {"anycastd_dpdk_up 1\n", "anycastd_dpdk_restarts_total 1\n", "anycastd_dpdk_link_up{port=\"0\",interface=\"ac0\"} 1\n",
                           "anycastd_dpdk_rx_packets_total{lcore=\"1\",port=\"0\",queue=\"0\"} 9\n",
                           "anycastd_dpdk_from_kernel_total{lcore=\"1\",port=\"0\",queue=\"0\"} 3\n",
                           "# TYPE anycastd_dpdk_port_xstat untyped\n",
                           "anycastd_dpdk_port_xstat{port=\"0\",name=\"tx_good_packets\"} 10\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
  EXPECT_EQ(render_metrics(sample_status()).find("anycastd_dpdk_"), std::string::npos) << "XDP: no DPDK families";
}

TEST(RenderMetrics, InterfaceFamilies) {
  DaemonStatus st = sample_status();
  st.interfaces.push_back({"eth0", 2, "attached", "", "native", 42, 7, 5, 1});
  st.interfaces.push_back({"eth1", 0, "gone", "gone: link deleted", "", 0, 0, 0, 0});
  std::string text = render_metrics(st);
  for (const char* line : {"# TYPE anycastd_interface_attached gauge\n", "anycastd_interface_attached{interface=\"eth0\"} 1\n",
                           "anycastd_interface_attached{interface=\"eth1\"} 0\n",
                           "# TYPE anycastd_interface_packets_total counter\n",
                           "anycastd_interface_packets_total{interface=\"eth0\",action=\"answer\"} 7\n",
                           "anycastd_interface_packets_total{interface=\"eth0\",action=\"pass\"} 5\n",
                           "anycastd_interface_packets_total{interface=\"eth0\",action=\"drop\"} 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
}

TEST(RenderMetrics, VipFamilies) {
  DaemonStatus st = sample_status();
  EXPECT_EQ(render_metrics(st).find("anycastd_vip_"), std::string::npos) << "no per-VIP counters: no family";
  st.vip_counters = true;
  st.vip_series = 1;
  st.vips_over_cap = 2;
  st.vips.push_back({"192.0.2.1/32", "web", 7, 5, 1});
  st.vips.push_back({"other", "", 4, 3, 0});
  std::string text = render_metrics(st);
  for (const char* line : {"# TYPE anycastd_vip_packets_total counter\n",
                           "anycastd_vip_packets_total{vip=\"192.0.2.1/32\",action=\"answer\"} 7\n",
                           "anycastd_vip_packets_total{vip=\"192.0.2.1/32\",action=\"pass\"} 5\n",
                           "anycastd_vip_packets_total{vip=\"192.0.2.1/32\",action=\"drop\"} 1\n",
                           "anycastd_vip_packets_total{vip=\"other\",action=\"answer\"} 4\n",
                           "anycastd_vip_packets_total{vip=\"other\",action=\"pass\"} 3\n",
                           "anycastd_vip_packets_total{vip=\"other\",action=\"drop\"} 0\n",
                           "anycastd_vip_series_limit 1\n", "anycastd_vips_over_series_limit 2\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;
}

TEST(RenderMetrics, NtpFamilies) {
  DaemonStatus st = sample_status();
  EXPECT_EQ(render_metrics(st).find("anycastd_ntp_"), std::string::npos) << "no NTP service: no family";
  NtpClockStatus n;
  n.source = "chrony /run/chrony/chronyd.sock";
  n.reachable = true;
  n.synchronised = true;
  n.served.leap = 1;
  n.served.stratum = 3;
  n.served.refid = 0xC0000201;  // 192.0.2.1
  n.served.root_delay = 0x00008000;       // 0.5 s in NTP short format
  n.served.root_dispersion = 0x00000400;  // 1/64 s
  n.read_at = WallClock::time_point(std::chrono::milliseconds(1764100801500));
  st.ntp = n;
  std::string text = render_metrics(st);
  for (const char* line : {"anycastd_ntp_info{source=\"chrony /run/chrony/chronyd.sock\",refid=\"192.0.2.1\"} 1\n",
                           "anycastd_ntp_source_reachable 1\n", "anycastd_ntp_synchronised 1\n",
                           "anycastd_ntp_stratum 3\n", "anycastd_ntp_leap 1\n",
                           "anycastd_ntp_root_delay_seconds 0.5\n", "anycastd_ntp_root_dispersion_seconds 0.015625\n",
                           "anycastd_ntp_last_read_seconds 1764100801.5\n", "# TYPE anycastd_ntp_stratum gauge\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;

  // A stratum 1 source's reference ID is its name (we answer stratum 2).
  st.ntp->served.stratum = 2;
  st.ntp->served.refid = 0x47505300;  // "GPS\0"
  EXPECT_NE(render_metrics(st).find("refid=\"GPS\"} 1\n"), std::string::npos);

  // Unsynchronised: what clients are told, and no reference.
  st.ntp->synchronised = false;
  st.ntp->served = ac_ntp_state{};
  st.ntp->served.leap = 3;
  st.ntp->served.stratum = 16;
  text = render_metrics(st);
  for (const char* line : {"anycastd_ntp_synchronised 0\n", "anycastd_ntp_stratum 16\n", "anycastd_ntp_leap 3\n",
                           "refid=\"\"} 1\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;

  st.ntp->read_at = {};
  EXPECT_NE(render_metrics(st).find("anycastd_ntp_last_read_seconds 0\n"), std::string::npos) << "before the first reading";
}

TEST(RenderMetrics, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
  EXPECT_EQ(escape_label_value("tab\tand ünïcode"), "tab\tand ünïcode");
}

TEST(RenderMetrics, DuplicateCheckNamesStayDistinctSeries) {
  DaemonStatus st;
  GroupStatus g;
  g.name = "g";
  CheckStatus c;
  c.name = "exec probe";
  g.checks = {c, c, c};
  st.groups = {g};
  std::string text = render_metrics(st);
  EXPECT_NE(text.find("anycastd_check_runs_total{group=\"g\",check=\"exec probe\"} 0\n"
                      "anycastd_check_runs_total{group=\"g\",check=\"exec probe #2\"} 0\n"
                      "anycastd_check_runs_total{group=\"g\",check=\"exec probe #3\"} 0\n"),
            std::string::npos)
      << text;
}

TEST(RenderMetrics, NoGroupsKeepsEveryFamily) {
  std::string text = render_metrics(DaemonStatus{});
  EXPECT_NE(text.find("# TYPE anycastd_group_state gauge\n# HELP anycastd_group_state_since_seconds"), std::string::npos);
  EXPECT_NE(text.find("anycastd_info{version=\"\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("anycastd_start_time_seconds 0\n"), std::string::npos);
}

TEST(ListenAddress, Parses) {
  auto v4 = parse_listen_address("127.0.0.1:9187");
  EXPECT_EQ(v4.family, AF_INET);
  EXPECT_EQ(v4.host, "127.0.0.1");
  EXPECT_EQ(v4.port, 9187);
  EXPECT_EQ(v4.str(), "127.0.0.1:9187");
  auto v6 = parse_listen_address("[::1]:9187");
  EXPECT_EQ(v6.family, AF_INET6);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.str(), "[::1]:9187");
  EXPECT_EQ(parse_listen_address("0.0.0.0:0").port, 0);
  EXPECT_EQ(parse_listen_address("[::]:65535").port, 65535);
}

std::string listen_error(std::string_view text) {
  try {
    parse_listen_address(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(ListenAddress, SaysWhatIsWrong) {
  EXPECT_EQ(listen_error("127.0.0.1"), "metrics listen address \"127.0.0.1\": expected \"ADDRESS:PORT\" (e.g. 127.0.0.1:9187)");
  EXPECT_EQ(listen_error("::1:9187"), "metrics listen address \"::1:9187\": an IPv6 address needs brackets: \"[::1]:9187\"");
  EXPECT_EQ(listen_error("[::1:9187"), "metrics listen address \"[::1:9187\": no ']' after the IPv6 address");
  EXPECT_EQ(listen_error("[::1]9187"), "metrics listen address \"[::1]9187\": expected \"[ADDRESS]:PORT\"");
  EXPECT_EQ(listen_error("127.0.0.1:99999"), "metrics listen address \"127.0.0.1:99999\": the port must be a number from 0 to 65535");
  EXPECT_EQ(listen_error("127.0.0.1:"), "metrics listen address \"127.0.0.1:\": the port must be a number from 0 to 65535");
  EXPECT_EQ(listen_error("127.0.0.1:80x"), "metrics listen address \"127.0.0.1:80x\": the port must be a number from 0 to 65535");
  EXPECT_EQ(listen_error("localhost:9187"), "metrics listen address \"localhost:9187\": not a numeric IPv4 or IPv6 address");
  EXPECT_EQ(listen_error("[127.0.0.1]:9187"), "metrics listen address \"[127.0.0.1]:9187\": not a numeric IPv4 or IPv6 address");
}

struct Http {
  int code = 0;
  std::string head;
  std::string body;
};

Http parse_http(const std::string& raw) {
  Http h;
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error("no head in: " + raw);
  h.head = raw.substr(0, end + 2);
  h.body = raw.substr(end + 4);
  if (raw.rfind("HTTP/1.1 ", 0) != 0) throw std::runtime_error("no status line in: " + raw);
  h.code = std::stoi(raw.substr(9, 3));
  return h;
}

struct MetricsFixture : ::testing::Test {
  std::atomic<int> renders{0};
  MetricsServer server{"127.0.0.1:0", [this] {
                         ++renders;
                         return render_metrics(sample_status());
                       }};
  ServeThread loop{server.fd(), [this] { server.on_readable(); }};

  Http get(const std::string& request) {
    auto fd = connect_tcp(AF_INET, "127.0.0.1", server.address().port);
    return parse_http(exchange_raw(fd.get(), request));
  }
};

TEST_F(MetricsFixture, ServesMetrics) {
  ASSERT_NE(server.address().port, 0);
  auto r = get("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(r.code, 200) << r.head;
  EXPECT_EQ(r.head,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: " +
                std::to_string(std::string(kGolden).size()) + "\r\nConnection: close\r\n");
  EXPECT_EQ(r.body, kGolden);
  EXPECT_EQ(renders, 1);
}

TEST_F(MetricsFixture, Http10QueryStringsAndHead) {
  EXPECT_EQ(get("GET /metrics HTTP/1.0\r\n\r\n").body, kGolden);
  EXPECT_EQ(get("GET /metrics?name[]=x HTTP/1.1\r\n\r\n").code, 200);
  EXPECT_EQ(get("\r\nGET /metrics HTTP/1.1\n\n").code, 200);  // a stray blank line first, bare LFs
  auto head = get("HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.code, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_NE(head.head.find("Content-Length: " + std::to_string(std::string(kGolden).size())), std::string::npos);
}

TEST_F(MetricsFixture, OtherPathsAre404) {
  auto r = get("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.body, "404 Not Found: the metrics are at /metrics\n");
  EXPECT_EQ(get("GET /metricsx HTTP/1.1\r\n\r\n").code, 404);
  EXPECT_EQ(get("GET /metrics/ HTTP/1.1\r\n\r\n").code, 404);
  EXPECT_EQ(renders, 0);
}

TEST_F(MetricsFixture, OtherMethodsAre405) {
  auto r = get("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(r.code, 405);
  EXPECT_NE(r.head.find("\r\nAllow: GET, HEAD\r\n"), std::string::npos) << r.head;
  EXPECT_EQ(get("DELETE /metrics HTTP/1.1\r\n\r\n").code, 405);
  EXPECT_EQ(renders, 0);
}

TEST_F(MetricsFixture, GarbageIs400AndTheServerGoesOn) {
  EXPECT_EQ(get("HELLO\r\n\r\n").code, 400);
  EXPECT_EQ(get("GET /metrics\r\n\r\n").code, 400);
  EXPECT_EQ(get("GET  /metrics HTTP/1.1\r\n\r\n").code, 400);
  EXPECT_EQ(get("GET /metrics FTP/1.0\r\n\r\n").code, 400);
  EXPECT_EQ(get("GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n").code, 400);
  EXPECT_EQ(get(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15)).code, 400);  // TLS hello
  EXPECT_EQ(get("GET /metrics HTTP/2.0\r\n\r\n").code, 505);

  // Closed half-way through the head.
  auto fd = connect_tcp(AF_INET, "127.0.0.1", server.address().port);
  send_text(fd.get(), "GET /metrics HTTP/1.1\r\n");
  ::shutdown(fd.get(), SHUT_WR);
  EXPECT_EQ(parse_http(read_all(fd.get())).code, 400);

  EXPECT_EQ(get("GET /metrics HTTP/1.1\r\n\r\n").code, 200);
}

TEST_F(MetricsFixture, OversizedHeadIs431) {
  auto r = get("GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(10000, 'f') + "\r\n\r\n");
  EXPECT_EQ(r.code, 431);
  EXPECT_EQ(r.body, "431 Request Header Fields Too Large: the request head is larger than 8192 bytes\n");
  EXPECT_EQ(get("GET /metrics HTTP/1.1\r\n\r\n").code, 200);
}

TEST(MetricsServer, SilentClientGets408AndOthersAreServedMeanwhile) {
  MetricsServerOptions options;
  options.deadline = 300ms;
  MetricsServer server("127.0.0.1:0", [] { return std::string("up 1\n"); }, options);
  ServeThread loop(server.fd(), [&] { server.on_readable(); });

  auto started = std::chrono::steady_clock::now();
  auto silent = connect_tcp(AF_INET, "127.0.0.1", server.address().port);
  auto other = connect_tcp(AF_INET, "127.0.0.1", server.address().port);
  auto r = parse_http(exchange_raw(other.get(), "GET /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.body, "up 1\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 250ms);

  auto timeout = parse_http(read_all(silent.get(), 3000ms));
  EXPECT_EQ(timeout.code, 408);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
}

TEST(MetricsServer, RenderFailureIs500) {
  MetricsServer server("127.0.0.1:0", []() -> std::string { throw std::runtime_error("no snapshot"); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto fd = connect_tcp(AF_INET, "127.0.0.1", server.address().port);
  auto r = parse_http(exchange_raw(fd.get(), "GET /metrics HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(r.code, 500);
  EXPECT_EQ(r.body, "500 Internal Server Error: no snapshot\n");
}

TEST(MetricsServer, Ipv6Loopback) {
  std::unique_ptr<MetricsServer> server;
  try {
    server = std::make_unique<MetricsServer>("[::1]:0", [] { return std::string("up 1\n"); });
  } catch (const std::runtime_error& e) {
    GTEST_FAIL() << "no IPv6 loopback here: " << e.what();
  }
  ServeThread loop(server->fd(), [&] { server->on_readable(); });
  EXPECT_EQ(server->address().str(), "[::1]:" + std::to_string(server->address().port));
  auto fd = connect_tcp(AF_INET6, "::1", server->address().port);
  auto r = parse_http(exchange_raw(fd.get(), "GET /metrics HTTP/1.1\r\nHost: [::1]\r\n\r\n"));
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.body, "up 1\n");
}

TEST(MetricsServer, PortInUseIsSaidSo) {
  MetricsServer first("127.0.0.1:0", [] { return std::string(); });
  auto taken = first.address().str();
  try {
    MetricsServer second(taken, [] { return std::string(); });
    FAIL() << "two listeners on " << taken;
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "metrics " + taken + ": cannot listen: Address already in use");
  }
}

}  // namespace
}  // namespace anycastd::metrics
