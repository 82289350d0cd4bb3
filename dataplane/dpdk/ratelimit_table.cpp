// SPDX-License-Identifier: Apache-2.0
#include "ratelimit_table.h"

namespace anycastd::dpdk {

RateLimitTable::RateLimitTable(std::uint32_t buckets) {
  std::uint64_t sets = 1;
  while (sets * kWays < buckets) sets <<= 1;
  mask_ = sets - 1;
  slots_.reset(new Slot[sets * kWays]());
}

}  // namespace anycastd::dpdk
