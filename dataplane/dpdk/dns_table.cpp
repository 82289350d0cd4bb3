// SPDX-License-Identifier: Apache-2.0
#include "dns_table.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "channel.h"

namespace anycastd::dpdk {

std::unique_ptr<DnsTable> DnsTable::map(int fd, std::string& error) {
  int seals = fcntl(fd, F_GET_SEALS);
  constexpr int kNeeded = F_SEAL_WRITE | F_SEAL_SHRINK;
  if (seals < 0 || (seals & kNeeded) != kNeeded) {
    error = "the DNS table memfd is not sealed against writing and shrinking";
    return nullptr;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    error = std::string("fstat on the DNS table memfd: ") + std::strerror(errno);
    return nullptr;
  }
  auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(ac_dns_table)) {
    error = channel::dns_table_problem(nullptr, size);
    return nullptr;
  }
  void* base = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    error = std::string("mapping the DNS table: ") + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<DnsTable> table(new DnsTable(base, size));
  if (std::string problem = channel::dns_table_problem(base, size); !problem.empty()) {
    error = problem;
    return nullptr;
  }
  return table;
}

DnsTable::~DnsTable() { munmap(const_cast<void*>(base_), size_); }

}  // namespace anycastd::dpdk
