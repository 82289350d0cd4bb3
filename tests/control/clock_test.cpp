// SPDX-License-Identifier: Apache-2.0
// The NTP service's configuration and its clock: [services.ntp] and the clock check as the
// config file gives them, the kernel source reading adjtimex (read only), the chrony source
// against a real chronyd (clock control off: -x) in a private network namespace, the state the
// packet path answers with, leap seconds included.

#include <arpa/inet.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "clock/chrony_clock.h"
#include "clock/kernel_clock.h"
#include "clock/ntp_state.h"
#include "config/config.h"
#include "datapath/config_tables.h"
#include "group/clock_check.h"

namespace anycastd {
namespace {

constexpr const char* kBase = "[datapath]\ninterface = \"eth0\"\n[anycast]\naddresses = [\"192.0.2.10\"]\n";

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "anycastd.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(NtpConfig, DefaultsAndKeys) {
  Config c = parse_config(std::string(kBase) + "[services.ntp]\n", "x");
  ASSERT_EQ(c.services.size(), 1u);
  EXPECT_EQ(c.services[0].id, AC_SVC_NTP);
  EXPECT_EQ(c.services[0].port, 123);
  EXPECT_EQ(c.services[0].clock.kind, ClockKind::chrony);
  EXPECT_EQ(c.services[0].clock.chrony_socket, "/run/chrony/chronyd.sock");
  FastpathTables t = build_tables(c);
  ASSERT_TRUE(t.ports.count(123));
  EXPECT_EQ(t.ports[123].service, static_cast<__u32>(AC_SVC_NTP));

  c = parse_config(std::string(kBase) +
                       "[services.ntp]\nport = 1123\nclock = \"chrony\"\nchrony_socket = \"/tmp/c/chronyd.sock\"\n"
                       "[[health.check]]\nkind = \"clock\"\nmax_error_ms = 20\n",
                   "x");
  EXPECT_EQ(c.services[0].port, 1123);
  EXPECT_EQ(c.services[0].clock.chrony_socket, "/tmp/c/chronyd.sock");
  ASSERT_EQ(c.groups[0].checks.size(), 1u);
  EXPECT_EQ(c.groups[0].checks[0].kind, CheckKind::clock);
  EXPECT_EQ(c.groups[0].checks[0].max_error.count(), 20);

  c = parse_config(std::string(kBase) + "[services.ntp]\nclock = \"kernel\"\n[[health.check]]\nkind = \"clock\"\n", "x");
  EXPECT_EQ(c.services[0].clock.kind, ClockKind::kernel);
  EXPECT_EQ(c.groups[0].checks[0].max_error.count(), 50);
}

TEST(NtpConfig, Errors) {
  std::string base(kBase);
  EXPECT_EQ(error_of(base + "[services.ntp]\nclok = \"kernel\"\n"),
            "anycastd.toml:6: services.ntp.clok: unknown key (expected: port, allow, clock, chrony_socket, rate_limit)");
  EXPECT_EQ(error_of(base + "[services.ntp]\nclock = \"gps\"\n"),
            "anycastd.toml:6: services.ntp.clock: unknown clock \"gps\" (expected: chrony, kernel)");
  EXPECT_EQ(error_of(base + "[services.ntp]\nchrony_socket = \"run/c.sock\"\n"),
            "anycastd.toml:6: services.ntp.chrony_socket: \"run/c.sock\" is not an absolute path");
  EXPECT_EQ(error_of(base + "[services.ntp]\nclock = \"kernel\"\nchrony_socket = \"/run/c.sock\"\n"),
            "anycastd.toml:7: services.ntp.chrony_socket: only used with clock = \"chrony\"");
  EXPECT_EQ(error_of(base + "[services.echo]\nchrony_socket = \"/run/c.sock\"\n"),
            "anycastd.toml:6: services.echo.chrony_socket: unknown key (expected: port, allow)");
  EXPECT_EQ(error_of(base + "[services.ntp]\n[[health.check]]\nkind = \"clock\"\nmax_error_ms = 0\n"),
            "anycastd.toml:8: health.check[0].max_error_ms: 0 is out of range (1 to 16000)");
  EXPECT_EQ(error_of(base + "[services.ntp]\n[[health.check]]\nkind = \"exec\"\ncommand = \"true\"\nmax_error_ms = 5\n"),
            "anycastd.toml:9: health.check[0].max_error_ms: only for kind = \"clock\" (this check is \"exec\")");
  EXPECT_NE(error_of(base + "[services.echo]\n[[health.check]]\nkind = \"clock\"\n")
                .find("health.check[0]: kind = \"clock\" checks the NTP service's clock: it needs [services.ntp]"),
            std::string::npos);
}

// The real kernel clock, read and never set: whatever its state, the reading must agree with a
// read-only adjtimex of our own.
TEST(KernelClock, ReadsAdjtimexReadOnly) {
  timex tx{};
  tx.modes = 0;
  int state = adjtimex(&tx);
  ASSERT_GE(state, 0);
  KernelTime k = read_kernel_time();
  EXPECT_EQ(k.error, "");
  EXPECT_EQ(k.synchronised, state != TIME_ERROR && !(tx.status & STA_UNSYNC));
  EXPECT_EQ(k.tai_offset, tx.tai);
  ClockReading r = KernelClock().read();
  EXPECT_TRUE(r.reachable);
  EXPECT_EQ(r.synchronised, k.synchronised);
  ac_ntp_state s = ntp_state_from(r, 1764118800);
  if (!k.synchronised) {
    // An unsynchronised kernel clock (the usual case on these machines) answers 16 / leap 3.
    EXPECT_EQ(s.stratum, 16);
    EXPECT_EQ(s.leap, 3);
    EXPECT_FALSE(ClockCheck(std::make_unique<KernelClock>(), std::chrono::milliseconds(50)).run().ok);
  } else {
    EXPECT_EQ(s.stratum, 3);
  }
  timex after{};
  after.modes = 0;
  adjtimex(&after);
  EXPECT_EQ(after.status, tx.status) << "reading must not change the kernel's clock state";
}

TEST(NtpState, FromReading) {
  ClockReading r;
  r.reachable = r.synchronised = true;
  r.leap = 0;
  r.stratum = 10;
  r.refid = 0x7F7F0101;
  r.reference_time = 0xEB00000080000000ull;
  r.root_delay = 0.5;
  r.root_dispersion = 0.25;
  r.precision = -23;
  r.tai_offset = 37;
  ac_ntp_state s = ntp_state_from(r, 1764118800);
  EXPECT_EQ(s.flags, AC_NTP_F_VALID);
  EXPECT_EQ(s.stratum, 11);
  EXPECT_EQ(s.leap, 0);
  EXPECT_EQ(s.refid, 0x7F7F0101u);
  EXPECT_EQ(s.reference_time, 0xEB00000080000000ull);
  EXPECT_EQ(s.root_delay, 0x8000u);
  EXPECT_EQ(s.root_dispersion, 0x4000u);
  EXPECT_EQ(s.precision, -23);
  EXPECT_EQ(s.tai_offset, 37);
  EXPECT_EQ(s.next_tai_offset, 37);
  EXPECT_EQ(s.switch_tai_ns, ~0ull);

  r.stratum = 15;
  EXPECT_EQ(ntp_state_from(r, 0).stratum, 16);
  r.stratum = 10;
  r.synchronised = false;
  EXPECT_EQ(ntp_state_from(r, 0).stratum, 16);
  EXPECT_EQ(ntp_state_from(r, 0).leap, 3);
}

// 2016-12-31 had a leap second: TAI-UTC went from 36 to 37 at 2017-01-01 00:00:00 UTC.
TEST(NtpState, LeapSecondSwitchPoint) {
  ClockReading r;
  r.reachable = r.synchronised = true;
  r.stratum = 1;
  r.tai_offset = 36;
  r.leap = 1;
  const std::int64_t midnight = 1483228800;  // 2017-01-01 00:00:00 UTC
  ac_ntp_state s = ntp_state_from(r, midnight - 3600);
  EXPECT_EQ(s.leap, 1);
  EXPECT_EQ(s.next_tai_offset, 37);
  // 23:59:60 begins at TAI midnight + 36 s: from there UTC repeats 23:59:59, as the kernel does.
  EXPECT_EQ(s.switch_tai_ns, static_cast<std::uint64_t>(midnight + 36) * 1000000000ull);
  r.leap = 2;
  s = ntp_state_from(r, midnight - 3600);
  EXPECT_EQ(s.next_tai_offset, 35);
  EXPECT_EQ(s.switch_tai_ns, static_cast<std::uint64_t>(midnight - 1 + 36) * 1000000000ull);
}

TEST(ChronyClock, FloatFormat) {
  // chronyd's float: 7-bit exponent, 25-bit coefficient; value = coef * 2^(exp - 25).
  EXPECT_DOUBLE_EQ(chrony_float(htonl(0u)), 0.0);
  EXPECT_DOUBLE_EQ(chrony_float(htonl((25u << 25) | 3u)), 3.0);         // exp 25: the coefficient
  EXPECT_DOUBLE_EQ(chrony_float(htonl((15u << 25) | 1024u)), 1.0);      // 1024 * 2^-10
  EXPECT_DOUBLE_EQ(chrony_float(htonl((25u << 25) | 0x1FFFFFFu)), -1.0);  // negative coefficient
  EXPECT_DOUBLE_EQ(chrony_float(htonl((0x7Fu << 25) | 1u)), std::ldexp(1.0, -26));  // exponent -1
}

// A real chronyd (clock control off) in a private network namespace, its command socket in a
// directory of our own; `local` or not decides whether it reports itself synchronised.
class Chronyd {
 public:
  explicit Chronyd(bool synced) {
    char tmpl[] = "/tmp/ac-chrony.XXXXXX";
    dir_ = mkdtemp(tmpl);
    chmod(dir_.c_str(), 0750);
    socket_ = dir_ + "/chronyd.sock";
    std::ofstream conf(dir_ + "/chrony.conf");
    if (synced) conf << "local stratum 10\n";
    conf << "port 0\ncmdport 0\nbindcmdaddress " << socket_ << "\npidfile " << dir_ << "/chronyd.pid\n";
    conf.close();
    pid_ = fork();
    if (pid_ == 0) {
      std::string config = dir_ + "/chrony.conf", log = dir_ + "/log";
      freopen(log.c_str(), "w", stderr);
      execlp("unshare", "unshare", "--net", "chronyd", "-x", "-d", "-u", "root", "-f", config.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Chronyd() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::string cmd = "rm -rf '" + dir_ + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }
  const std::string& socket() const { return socket_; }
  // Waits until chronyd answers on its socket (it is up), for up to 10 s.
  ClockReading wait_ready() {
    ClockReading r;
    for (int i = 0; i < 100; ++i) {
      r = ChronyClock(socket_, std::chrono::milliseconds(200)).read();
      if (r.reachable) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

 private:
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

TEST(ChronyClock, SynchronisedChronyd) {
  ASSERT_EQ(geteuid(), 0u) << "chronyd runs as root in its own network namespace: run as root";
  ASSERT_EQ(std::system("command -v chronyd >/dev/null"), 0) << "chronyd missing (scripts/deps.sh installs chrony)";
  Chronyd chronyd(true);
  ClockReading r = chronyd.wait_ready();
  ASSERT_TRUE(r.reachable) << r.error;
  EXPECT_TRUE(r.synchronised) << r.describe();
  EXPECT_EQ(r.stratum, 10);
  EXPECT_EQ(r.leap, 0);
  EXPECT_EQ(r.refid, 0x7F7F0101u);  // 127.127.1.1: chronyd's local reference
  EXPECT_GT(r.reference_time >> 32, 3900000000ull);  // a date after 2023
  EXPECT_LT(r.error_bound, 0.05);
  EXPECT_TRUE(ClockCheck(std::make_unique<ChronyClock>(chronyd.socket(), std::chrono::milliseconds(500)),
                         std::chrono::milliseconds(50))
                  .run()
                  .ok);
}

TEST(ChronyClock, UnsynchronisedChronydFailsTheCheck) {
  ASSERT_EQ(geteuid(), 0u) << "chronyd runs as root in its own network namespace: run as root";
  Chronyd chronyd(false);
  ClockReading r = chronyd.wait_ready();
  ASSERT_TRUE(r.reachable) << r.error;
  EXPECT_FALSE(r.synchronised);
  EXPECT_EQ(r.leap, 3);
  CheckResult c = ClockCheck(std::make_unique<ChronyClock>(chronyd.socket(), std::chrono::milliseconds(500)),
                             std::chrono::milliseconds(50))
                      .run();
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.detail.find("not synchronised"), std::string::npos) << c.detail;
}

TEST(ChronyClock, NoChronydIsUnreachable) {
  ClockReading r = ChronyClock("/tmp/ac-no-such-dir/chronyd.sock", std::chrono::milliseconds(100)).read();
  EXPECT_FALSE(r.reachable);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(ClockCheck(std::make_unique<ChronyClock>("/tmp/ac-no-such-dir/chronyd.sock", std::chrono::milliseconds(100)),
                          std::chrono::milliseconds(50))
                   .run()
                   .ok);
}

}  // namespace
}  // namespace anycastd
