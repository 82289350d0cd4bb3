// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <string>

struct mnl_socket;
struct nlmsghdr;

namespace anycastd {

// A NETLINK_ROUTE socket (libmnl) that sends one request at a time and waits for its answer.
class NetlinkSocket {
 public:
  NetlinkSocket();  // throws std::runtime_error
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Sends `request` (built in the caller's buffer; this sets NLM_F_ACK and the sequence number)
  // and waits for the kernel's acknowledgement. Returns 0 or a negative errno; `kernel_message`
  // gets the extended-ack text, which often says more than the errno ("Invalid prefix ...").
  int request(nlmsghdr* request, std::string* kernel_message = nullptr);

  // Sends a dump request (this sets NLM_F_DUMP and the sequence number) and calls `each` for
  // every message of the answer; restarts the dump when the kernel says it was interrupted by a
  // change. Returns 0 or a negative errno.
  int dump(nlmsghdr* request, const std::function<void(const nlmsghdr*)>& each);

 private:
  mnl_socket* socket_;
  std::uint32_t portid_;
  std::uint32_t seq_;
};

}  // namespace anycastd
