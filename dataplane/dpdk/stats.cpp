// SPDX-License-Identifier: Apache-2.0
#include "stats.h"

namespace anycastd::dpdk {

LcoreCounters sum_counters(const std::vector<const Worker*>& workers) {
  LcoreCounters sum{};
  auto* to = reinterpret_cast<std::uint64_t*>(&sum);
  for (const Worker* w : workers) {
    LcoreCounters c = read_counters(w->counters);
    const auto* from = reinterpret_cast<const std::uint64_t*>(&c);
    for (std::size_t i = 0; i < sizeof(LcoreCounters) / sizeof(std::uint64_t); ++i) to[i] += from[i];
  }
  return sum;
}

std::vector<std::pair<std::string, std::uint64_t>> named_counters(const LcoreCounters& c) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (unsigned i = 0; i < AC_ACT__COUNT; ++i) out.emplace_back(std::string("action/") + ac_action_names[i], c.core.action[i]);
  for (unsigned i = 1; i < AC_PASS__COUNT; ++i)
    out.emplace_back(std::string("pass/") + ac_pass_reason_names[i], c.core.pass[i]);
  for (unsigned i = 0; i < AC_SVC__COUNT; ++i) {
    out.emplace_back(std::string("answered/") + ac_service_names[i], c.core.answered[i]);
    out.emplace_back(std::string("answered_bytes/") + ac_service_names[i], c.core.answered_bytes[i]);
  }
  const channel::DatapathCounters& d = c.datapath;
  out.emplace_back("datapath/rx_packets", d.rx_packets);
  out.emplace_back("datapath/tx_answers", d.tx_answers);
  out.emplace_back("datapath/tx_answers_dropped", d.tx_answers_dropped);
  out.emplace_back("datapath/to_kernel", d.to_kernel);
  out.emplace_back("datapath/to_kernel_dropped", d.to_kernel_dropped);
  out.emplace_back("datapath/from_kernel", d.from_kernel);
  out.emplace_back("datapath/from_kernel_dropped", d.from_kernel_dropped);
  out.emplace_back("datapath/idle_sleeps", d.idle_sleeps);
  out.emplace_back("loops", c.loops);
  return out;
}

}  // namespace anycastd::dpdk
