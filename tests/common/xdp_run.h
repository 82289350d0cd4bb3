// SPDX-License-Identifier: Apache-2.0
#pragma once

// One BPF_PROG_TEST_RUN of an XDP program on `frame`, as if it came in on `ifindex`; 0 runs it as
// control's probes do (the test run's own device, the loopback). A plain run: live frames are
// refused on these machines (DESIGN.md), so the verdict and the bytes come back to the caller.

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace anycastd::test {

struct XdpRun {
  int error = 0;  // errno of a run the kernel refused, else 0
  std::uint32_t verdict = 0;
};

inline XdpRun xdp_run_on(int prog_fd, std::vector<std::uint8_t> frame, int ifindex) {
  std::vector<std::uint8_t> out(frame.size() + 256);
  xdp_md ctx{};
  ctx.data_end = static_cast<__u32>(frame.size());
  ctx.ingress_ifindex = static_cast<__u32>(ifindex);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(frame.size()), .data_size_out = static_cast<__u32>(out.size()),
              .ctx_in = ifindex ? &ctx : nullptr, .ctx_size_in = ifindex ? static_cast<__u32>(sizeof ctx) : 0u);
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) return {errno, 0};
  return {0, opts.retval};
}

}  // namespace anycastd::test
