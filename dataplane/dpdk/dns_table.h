// SPDX-License-Identifier: Apache-2.0
#pragma once

// A DNS answer table image (abi.h struct ac_dns_table) as the datapath answers from it: the
// sealed memfd control sent, mapped read-only. The mapping lives as long as this object, which
// TableStore frees only after every worker has passed a quiescent state (the RCU scheme of the
// other tables), so no query reads an unmapped table.

#include <cstddef>
#include <memory>
#include <string>

#include "abi.h"

namespace anycastd::dpdk {

class DnsTable {
 public:
  // Maps the memfd `fd`. nullptr with `error` set when it is not sealed against writes and
  // shrinking (the image could change or vanish under a worker), cannot be mapped, or is not a
  // well-formed image (channel::dns_table_problem).
  static std::unique_ptr<DnsTable> map(int fd, std::string& error);
  ~DnsTable();
  DnsTable(const DnsTable&) = delete;
  DnsTable& operator=(const DnsTable&) = delete;

  const ac_dns_table* image() const { return static_cast<const ac_dns_table*>(base_); }
  std::size_t size() const { return size_; }

 private:
  DnsTable(const void* base, std::size_t size) : base_(base), size_(size) {}
  const void* base_;
  std::size_t size_;
};

}  // namespace anycastd::dpdk
