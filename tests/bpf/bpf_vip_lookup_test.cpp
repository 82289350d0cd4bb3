// SPDX-License-Identifier: Apache-2.0
// The XDP program's VIP match (a scan of small sets, a hash per prefix length above
// AC_VIP_SCAN_MAX) against the native reference env's (tests/common/native_env.h: a plain
// longest-prefix scan of the tables): random sets of each size around the threshold, nested
// prefixes and exact VIPs inside them, probed at every VIP, next to it and at random; the verdict
// and its pass reason must agree for every probe, and again with entries listed twice (the first
// wins). The VIPs' services and answering flags are random too, so a wrong match shows as another
// verdict.

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "native_verdict.h"
#include "vip_sets.h"
#include "datapath/xdp/xdp_program.h"

namespace anycastd::test {
namespace {

std::string bpf_verdict(const XdpProgram& program, const std::vector<std::uint8_t>& frame) {
  std::vector<std::uint8_t> in = frame, out(frame.size() + 256);
  bpf_test_run_opts run{};
  run.sz = sizeof run;
  run.data_in = in.data();
  run.data_size_in = static_cast<std::uint32_t>(in.size());
  run.data_out = out.data();
  run.data_size_out = static_cast<std::uint32_t>(out.size());
  const ac_stats before = program.read_stats();
  if (bpf_prog_test_run_opts(program.prog_fd(), &run) != 0) return std::string("run failed: ") + std::strerror(errno);
  const ac_stats after = program.read_stats();
  if (run.retval == XDP_TX) return "answer";
  for (unsigned r = 0; r < AC_PASS__COUNT; ++r)
    if (after.pass[r] != before.pass[r]) return std::string("pass.") + ac_pass_reason_names[r];
  return "retval " + std::to_string(run.retval) + ", no pass counted";
}

TEST(BpfVipLookup, AgreesWithTheReferenceOnRandomSetsAroundTheScanThreshold) {
  ASSERT_EQ(geteuid(), 0u) << "the BPF tests load an XDP program: they need root; run ctest as root";
  XdpProgram program;
  const std::size_t sizes[] = {0, 1, 2, AC_VIP_SCAN_MAX - 1, AC_VIP_SCAN_MAX, AC_VIP_SCAN_MAX + 1, 40, 200};
  std::size_t probes = 0;
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    VipSets sets(seed);
    for (std::size_t v4 : sizes) {
      // Each family on either side of the threshold, in the same set: their forms are independent.
      const std::size_t v6 = sizes[(&v4 - sizes + seed) % (sizeof sizes / sizeof sizes[0])];
      FastpathTables t = sets.tables(v4, v6);
      // Then the same set with a few entries listed again with other values: the first wins.
      for (bool repeated : {false, true}) {
        if (repeated) sets.repeat(t, 3);
        program.write_tables(t);
        for (const auto& frame : sets.probes(t)) {
          ++probes;
          ASSERT_EQ(bpf_verdict(program, frame), native_verdict(t, frame))
              << "seed " << seed << ", " << v4 << " IPv4 and " << v6 << " IPv6 VIPs" << (repeated ? ", repeated" : "")
              << ", probe " << probes;
        }
      }
    }
  }
  std::printf("%zu probes agreed\n", probes);
}

}  // namespace
}  // namespace anycastd::test
