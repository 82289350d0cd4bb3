// SPDX-License-Identifier: Apache-2.0
//
// Per-packet cost of an NTP answer next to an echo answer in the XDP program, through
// BPF_PROG_TEST_RUN. Needs root.
//
//   xdp_ntp_cost [--calls N] [--runs R]
//
// xdp_cost's `repeat` trick (the reply is again a request) does not work for NTP: a mode 4
// reply is passed, not answered. So each call runs one packet (repeat 1) and the kernel's own
// duration for it is taken; N calls per run, echo and NTP interleaved call by call so drift of
// the machine hits both alike; the table quotes the median over runs of each run's mean. The
// harness's fixed cost per call is in both figures, so the ratio understates the difference a
// little. Every call is checked (XDP_TX, the right counter); a mismatch exits 1.

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/timex.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_frames.h"
#include "datapath/xdp/xdp_program.h"

namespace ab = anycastd::bench;

namespace {

constexpr std::uint16_t kNtpPort = 123;

// The bench frame with a 48-byte payload turned into an NTPv4 client request, checksum redone.
std::vector<std::uint8_t> ntp_request(ab::FrameSpec spec) {
  spec.dport = kNtpPort;
  spec.payload = 48;
  std::vector<std::uint8_t> f = ab::build_frame(spec);
  std::size_t ntp = f.size() - 48, udp = ntp - 8;
  std::fill(f.begin() + static_cast<long>(ntp), f.end(), 0);
  f[ntp] = 0x23;  // leap 0, version 4, mode 3
  f[ntp + 40] = 0xEC;  // a transmit timestamp to echo as the origin
  f[udp + 6] = f[udp + 7] = 0;
  std::size_t ip = spec.family == 4 ? udp - 20 : udp - 40;
  std::uint32_t sum = spec.family == 4 ? ab::detail::sum16(&f[ip + 12], 8) : ab::detail::sum16(&f[ip + 8], 32);
  sum += 17 + 56;
  sum = ab::detail::sum16(&f[udp], 56, sum);
  std::uint16_t check = ab::detail::fold(sum);
  if (check == 0) check = 0xFFFF;
  f[udp + 6] = static_cast<std::uint8_t>(check >> 8);
  f[udp + 7] = static_cast<std::uint8_t>(check);
  return f;
}

double run_once(int fd, const std::vector<std::uint8_t>& frame, std::uint32_t& retval) {
  std::vector<std::uint8_t> out(frame.size() + 64);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<std::uint32_t>(frame.size()),
              .data_size_out = static_cast<std::uint32_t>(out.size()), .repeat = 1);
  if (bpf_prog_test_run_opts(fd, &opts) != 0)
    throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + std::strerror(errno));
  retval = opts.retval;
  return opts.duration;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  long calls = 20000;
  int runs = 7;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--calls" && i + 1 < argc) calls = std::strtol(argv[++i], nullptr, 10);
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: xdp_ntp_cost [--calls N] [--runs R]\n");
      return 2;
    }
  }
  if (calls < 1 || runs < 1) {
    std::fprintf(stderr, "xdp_ntp_cost: --calls and --runs must be at least 1\n");
    return 2;
  }
  try {
    anycastd::XdpProgram program;
    anycastd::FastpathTables tables = ab::bench_tables(false);
    for (auto& v : tables.vips) v.value.services |= 1u << AC_SVC_NTP;
    tables.ports[kNtpPort] = {AC_SVC_F_ENABLED, AC_SVC_NTP};
    program.write_tables(tables);
    timex tx{};
    tx.modes = 0;  // read only
    adjtimex(&tx);
    ac_ntp_state state{};
    state.flags = AC_NTP_F_VALID;
    state.stratum = 2;
    state.precision = -20;
    state.tai_offset = state.next_tai_offset = tx.tai;
    state.switch_tai_ns = ~0ull;
    program.write_ntp_state(state);

    std::printf("%-8s %12s %12s %8s\n", "frame", "echo ns/pkt", "ntp ns/pkt", "ntp/echo");
    for (const ab::BenchCase& c : ab::bench_cases()) {
      if (c.restricted || !c.spec.tags.empty()) continue;
      const std::vector<std::uint8_t> echo = ab::build_frame(c.spec), ntp = ntp_request(c.spec);
      std::vector<double> echo_means, ntp_means, ratios;
      for (int r = 0; r < runs; ++r) {
        const ac_stats before = program.read_stats();
        double echo_sum = 0, ntp_sum = 0;
        for (long i = 0; i < calls; ++i) {
          std::uint32_t rv_echo, rv_ntp;
          echo_sum += run_once(program.prog_fd(), echo, rv_echo);
          ntp_sum += run_once(program.prog_fd(), ntp, rv_ntp);
          if (rv_echo != XDP_TX || rv_ntp != XDP_TX) {
            std::fprintf(stderr, "xdp_ntp_cost: %s: echo returned %u, ntp %u (expected XDP_TX)\n", c.name, rv_echo, rv_ntp);
            return 1;
          }
        }
        const ac_stats after = program.read_stats();
        if (after.answered[AC_SVC_NTP] - before.answered[AC_SVC_NTP] != static_cast<std::uint64_t>(calls) ||
            after.answered[AC_SVC_ECHO] - before.answered[AC_SVC_ECHO] != static_cast<std::uint64_t>(calls)) {
          std::fprintf(stderr, "xdp_ntp_cost: %s: the counters do not show %ld answers of each\n", c.name, calls);
          return 1;
        }
        echo_means.push_back(echo_sum / calls);
        ntp_means.push_back(ntp_sum / calls);
        ratios.push_back(ntp_sum / echo_sum);
      }
      std::printf("%-8s %12.1f %12.1f %8.2f\n", c.name, median(echo_means), median(ntp_means), median(ratios));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xdp_ntp_cost: %s\n", e.what());
    return 1;
  }
  return 0;
}
