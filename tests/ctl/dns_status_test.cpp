// SPDX-License-Identifier: Apache-2.0
// The DNS answer table in the reports: status JSON (daemon), the status text (anycastctl) and
// the metrics, for a table in use whose last reload failed (with the slow path's counters), and
// before any table (slow_path = false).
#include <gtest/gtest.h>

#include <string>

#include "ctl/status_json.h"
#include "ctl/status_text.h"
#include "metrics/render_metrics.h"
#include "sample_status.h"

namespace anycastd::ctl {
namespace {

using nlohmann::json;
using ctl_test::on_the_day;
using ctl_test::sample_status;

DaemonStatus with_dns() {
  DaemonStatus st = sample_status();
  DnsStatus d;
  d.zones = {{"example.net.", "/etc/anycastd/example.net.zone", 2025112501, 42},
             {"example.org.", "/etc/anycastd/example.org.zone", 7, 5}};
  d.entries = 131;
  d.bytes = 3 * 4096 + 512;
  d.loaded = on_the_day(22, 0, 0);
  d.last_load = on_the_day(22, 9, 0);
  d.last_load_ok = false;
  d.last_load_error = "/etc/anycastd/example.net.zone:12: CNAME and other data at www.example.net.";
  d.loads = 3;
  d.load_failures = 1;
  DnsSlowPathStatus slow;
  slow.port = 53;
  slow.addresses = 2;
  slow.counters = {{"udp_queries", 7}, {"tcp_queries", 3}, {"answer_noerror", 9}, {"answer_nxdomain", 0},
                   {"cookie_valid", 4}, {"cookie_new", 2}, {"cookie_bad", 1}, {"cookie_malformed", 1},
                   {"formerr", 1}};
  slow.tcp_open = 1;
  d.slow_path = slow;
  d.nsid = "site-a";
  d.cookie_secret_file = "/etc/anycastd/cookie.key";
  d.cookie_secret_previous_file = "/etc/anycastd/cookie.old";
  st.dns = d;
  st.counters.dns[AC_DNS_OUT_NOERROR] = 40;
  st.counters.dns[AC_DNS_OUT_NXDOMAIN] = 2;
  return st;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(DnsStatus, Json) {
  json j = status_to_json(with_dns());
  const json& d = j["dns"];
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d["zones"], (json::array({json{{"origin", "example.net."},
                                           {"file", "/etc/anycastd/example.net.zone"},
                                           {"serial", 2025112501},
                                           {"records", 42}},
                                      json{{"origin", "example.org."},
                                           {"file", "/etc/anycastd/example.org.zone"},
                                           {"serial", 7},
                                           {"records", 5}}})));
  EXPECT_EQ(d["entries"], 131);
  EXPECT_EQ(d["memory_bytes"], 12800);
  EXPECT_EQ(d["loaded"]["utc"], "2025-11-25T22:00:00.000Z");
  EXPECT_EQ(d["last_load"]["ok"], false);
  EXPECT_EQ(d["last_load"]["at"]["age_s"], 60.0);
  EXPECT_EQ(d["last_load"]["error"], "/etc/anycastd/example.net.zone:12: CNAME and other data at www.example.net.");
  EXPECT_EQ(d["loads"], 3);
  EXPECT_EQ(d["load_failures"], 1);
  EXPECT_EQ(d["slow_path"], (json{{"port", 53},
                                  {"addresses", 2},
                                  {"tcp_open", 1},
                                  {"counters", json{{"udp_queries", 7},
                                                    {"tcp_queries", 3},
                                                    {"answer_noerror", 9},
                                                    {"answer_nxdomain", 0},
                                                    {"cookie_valid", 4},
                                                    {"cookie_new", 2},
                                                    {"cookie_bad", 1},
                                                    {"cookie_malformed", 1},
                                                    {"formerr", 1}}}}));
  EXPECT_EQ(d["edns"], (json{{"nsid", "site-a"},
                             {"cookie_secret_file", "/etc/anycastd/cookie.key"},
                             {"cookie_secret_previous_file", "/etc/anycastd/cookie.old"}}));
  EXPECT_EQ(j["counters"]["dns"]["noerror"], 40);
  EXPECT_EQ(j["counters"]["dns"]["nxdomain"], 2);
  EXPECT_EQ(j["counters"]["dns"]["badvers"], 0);
  EXPECT_FALSE(status_to_json(sample_status()).contains("dns")) << "no [services.dns], no dns section";
}

TEST(DnsStatus, Text) {
  std::string text = format_status(status_to_json(with_dns()));
  EXPECT_TRUE(has_line(text, "dns: 2 zones, 131 entries, 12 KiB, loaded 2025-11-25T22:00:00.000Z (10m 0s ago)"))
      << text;
  EXPECT_TRUE(has_line(text,
                       "  last load FAILED 1m 0s ago, the table before stays: /etc/anycastd/example.net.zone:12: CNAME "
                       "and other data at www.example.net."))
      << text;
  EXPECT_TRUE(has_line(text, "  ZONE" + std::string(14, ' ') + "SERIAL  RECORDS  FILE")) << text;
  EXPECT_TRUE(has_line(text, "  example.net.  2025112501       42  /etc/anycastd/example.net.zone")) << text;
  EXPECT_TRUE(has_line(text, "  example.org.           7        5  /etc/anycastd/example.org.zone")) << text;
  EXPECT_TRUE(has_line(text, "  dns:       noerror 40, nxdomain 2")) << text;
  EXPECT_TRUE(has_line(text,
                       "  slow path: port 53 on 2 addresses, 1 TCP open; answer_noerror 9, cookie_bad 1, cookie_malformed 1, "
                       "cookie_new 2, cookie_valid 4, formerr 1, tcp_queries 3, udp_queries 7"))
      << text;
  EXPECT_TRUE(has_line(text,
                       "  nsid: site-a; cookies: secret /etc/anycastd/cookie.key, previous /etc/anycastd/cookie.old"))
      << text;

  DaemonStatus empty = sample_status();
  empty.dns = DnsStatus{};
  std::string none = format_status(status_to_json(empty));
  EXPECT_TRUE(has_line(none, "dns: no table loaded")) << none;
  EXPECT_EQ(none.find("last load FAILED"), std::string::npos) << "never tried is no failure";
  EXPECT_EQ(none.find("slow path"), std::string::npos) << "slow_path = false: no slow path line";
  EXPECT_FALSE(status_to_json(empty)["dns"].contains("slow_path"));
}

TEST(DnsStatus, Metrics) {
  std::string m = metrics::render_metrics(with_dns());
  for (const char* line : {"anycastd_dns_zone_serial{zone=\"example.net.\"} 2025112501\n",
                           "anycastd_dns_zone_serial{zone=\"example.org.\"} 7\n",
                           "anycastd_dns_zone_records{zone=\"example.net.\"} 42\n",
                           "anycastd_dns_table_entries 131\n", "anycastd_dns_table_bytes 12800\n",
                           "anycastd_dns_table_loaded_seconds 1764108000\n", "anycastd_dns_last_load_ok 0\n",
                           "anycastd_dns_load_failures_total 1\n",
                           "anycastd_dns_answers_total{outcome=\"noerror\"} 40\n",
                           "anycastd_dns_answers_total{outcome=\"refused\"} 0\n",
                           "anycastd_dns_slow_path_total{event=\"udp_queries\"} 7\n",
                           "anycastd_dns_slow_path_total{event=\"answer_nxdomain\"} 0\n",
                           "anycastd_dns_slow_path_total{event=\"formerr\"} 1\n",
                           "anycastd_dns_slow_path_total{event=\"cookie_valid\"} 4\n",
                           "anycastd_dns_slow_path_total{event=\"cookie_bad\"} 1\n",
                           "anycastd_dns_slow_path_tcp_open 1\n"})
    EXPECT_NE(m.find(line), std::string::npos) << line;
  std::string plain = metrics::render_metrics(sample_status());
  EXPECT_EQ(plain.find("anycastd_dns_zone_serial"), std::string::npos) << "no [services.dns], no table families";
  EXPECT_EQ(plain.find("anycastd_dns_slow_path"), std::string::npos) << "no slow path, no slow path families";
  EXPECT_NE(plain.find("anycastd_dns_answers_total{outcome=\"noerror\"} 0\n"), std::string::npos)
      << "the fast path's counters are always there";
}

}  // namespace
}  // namespace anycastd::ctl
