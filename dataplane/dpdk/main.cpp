// SPDX-License-Identifier: Apache-2.0
// anycastd-dpdk: the DPDK datapath process anycastd starts and supervises (docs/dpdk.md).

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/version.h"
#include "process.h"
#include "options.h"

int main(int argc, char** argv) {
  namespace ad = anycastd::dpdk;
  ad::Options options;
  try {
    options = ad::parse_options(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "anycastd-dpdk: %s\n(anycastd-dpdk --help for usage)\n", e.what());
    return 2;
  }
  if (options.help) {
    std::fputs(ad::usage().c_str(), stdout);
    return 0;
  }
  if (options.version) {
    std::printf("anycastd-dpdk %s\n", std::string(anycastd::version()).c_str());
    return 0;
  }
  return ad::run_datapath(options);
}
