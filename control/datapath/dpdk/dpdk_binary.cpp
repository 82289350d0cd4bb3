// SPDX-License-Identifier: Apache-2.0
#include "datapath/dpdk/dpdk_binary.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/own_binary.h"

namespace anycastd {

std::string dpdk_binary(const DpdkConfig& config) {
  if (!config.binary.empty()) return config.binary;
  const std::string& self = own_binary();
  return self.substr(0, self.rfind('/') + 1) + "anycastd-dpdk";
}

std::string dpdk_binary_problem(const DpdkConfig& config) {
  const std::string path = dpdk_binary(config);
  if (access(path.c_str(), X_OK) == 0) return "";
  const std::string why = std::strerror(errno);
  if (config.binary.empty() && errno == ENOENT)
    return "datapath.kind = \"dpdk\" runs " + path +
           ", which is not installed: install the anycastd-dpdk package (or set datapath.dpdk.binary)";
  return "datapath.kind = \"dpdk\" runs " + path + ": " + why;
}

}  // namespace anycastd
