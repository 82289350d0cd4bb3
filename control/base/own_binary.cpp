// SPDX-License-Identifier: Apache-2.0
#include "base/own_binary.h"

#include <unistd.h>

namespace anycastd {

const std::string& own_binary() {
  static const std::string path = [] {
    char buffer[4096];
    ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer);
    return n > 0 && static_cast<std::size_t>(n) < sizeof buffer ? std::string(buffer, static_cast<std::size_t>(n))
                                                                : std::string();
  }();
  return path;
}

}  // namespace anycastd
