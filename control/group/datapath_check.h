// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `datapath` check: the fast path on the wire is ours and answers the group's VIPs.
// Two looks: the fast path is in place (XDP: the program attached to the interface has our id,
// so someone detaching or replacing it is seen; DPDK: the process runs and its workers poll),
// and a probe frame per VIP run through the live tables (BPF_PROG_TEST_RUN, or the DPDK
// process's own core) comes back as the right echo reply. Probes never reach the wire, but they
// do count in the fast path's counters, as answered echo.

#include <cstdint>
#include <memory>
#include <vector>

#include "datapath/datapath.h"
#include "health/checks.h"

namespace anycastd {

struct DatapathProbeTarget {
  std::shared_ptr<DatapathProbe> probe;
  std::uint16_t echo_port = 0;  // 0: the group carries no echo; only the attachment is checked
  std::vector<Prefix> vips;
  std::vector<Prefix> echo_allow;  // probe sources come from here when echo is restricted
};

class DatapathCheck final : public Check {
 public:
  explicit DatapathCheck(DatapathProbeTarget target) : target_(std::move(target)) {}
  CheckResult run() override;
  std::string describe() const override { return "datapath"; }

 private:
  DatapathProbeTarget target_;
};

// An Ethernet/IP/UDP frame carrying the probe payload between two host addresses of one family,
// TTL 64, with valid IPv4 header and UDP checksums. `to_us` picks the MAC direction: a probe
// goes to us, its echo comes from us. Exposed for tests.
std::vector<std::uint8_t> build_probe_frame(const Prefix& source, const Prefix& destination, std::uint16_t source_port,
                                            std::uint16_t destination_port, bool to_us);

}  // namespace anycastd
