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
    out.emplace_back(std::string("rate_limited/") + ac_service_names[i], c.core.rate_limited[i]);
  }
  for (const auto& f : channel::kDatapathCounterFields)
    out.emplace_back(std::string("datapath/") + f.name, c.datapath.*f.field);
  out.emplace_back("loops", c.loops);
  return out;
}

}  // namespace anycastd::dpdk
