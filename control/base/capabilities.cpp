// SPDX-License-Identifier: Apache-2.0
#include "base/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace anycastd {
namespace {

#ifndef CAP_BPF
#define CAP_BPF 39  // Linux 5.8; older headers lack it
#endif

bool has(const __user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3], int cap) {
  return data[cap / 32].effective & (1u << (cap % 32));
}

}  // namespace

std::vector<std::string> missing_capabilities() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  // glibc wraps capget only through libcap; the raw syscall is all that is needed.
  if (syscall(SYS_capget, &header, data) != 0)
    return {std::string("capabilities unknown (capget: ") + std::strerror(errno) + ")"};

  std::vector<std::string> missing;
  if (!has(data, CAP_BPF) && !has(data, CAP_SYS_ADMIN)) missing.push_back("CAP_BPF");
  if (!has(data, CAP_NET_ADMIN)) missing.push_back("CAP_NET_ADMIN");
  return missing;
}

Refusal capability_problem() {
  auto missing = missing_capabilities();
  if (missing.empty()) return Refusal::none();
  std::string text = "anycastd needs CAP_BPF and CAP_NET_ADMIN (run as root or grant them): missing ";
  for (std::size_t i = 0; i < missing.size(); ++i) text += (i ? ", " : "") + missing[i];
  return Refusal::because(text);
}

}  // namespace anycastd
