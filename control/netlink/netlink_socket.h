// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct mnl_socket;

namespace anycastd {

// Requests built back to back in one buffer, for NetlinkSocket::request_all.
class NetlinkBatch {
 public:
  // A zeroed message of up to kMaxMessage bytes at the end of the batch, for mnl_nlmsg_put_header
  // and mnl_attr_put; commit() appends it (its nlmsg_len bytes) to the batch.
  nlmsghdr* start();
  void commit();
  std::size_t size() const { return offsets_.size(); }
  bool empty() const { return offsets_.empty(); }
  nlmsghdr* at(std::size_t i);

  static constexpr std::size_t kMaxMessage = 512;

 private:
  std::vector<char> bytes_;
  std::vector<std::size_t> offsets_;
};

// A netlink socket (libmnl), NETLINK_ROUTE unless told another bus (NETLINK_GENERIC for the
// generic netlink families): one request at a time, or many pipelined.
class NetlinkSocket {
 public:
  explicit NetlinkSocket(int bus = NETLINK_ROUTE);  // throws std::runtime_error
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Sends `request` (built in the caller's buffer; this sets NLM_F_ACK and the sequence number)
  // and waits for the kernel's acknowledgement. Returns 0 or a negative errno; `kernel_message`
  // gets the extended-ack text, which often says more than the errno ("Invalid prefix ...").
  int request(nlmsghdr* request, std::string* kernel_message = nullptr);

  // Sends every request of `batch` (this sets NLM_F_ACK and the sequence numbers), kWindow of them
  // in one datagram, and reads their answers before the next window: one system call per window
  // instead of a round trip per request, and never more answers queued than the socket's
  // receive buffer holds (an answer that does not fit is dropped by the kernel). Returns each
  // request's answer (0 or a negative errno) in order, and each one's extended-ack text in
  // `kernel_messages`. Between windows `keep_going` is asked; when it says no, the requests not
  // yet sent are answered -ECANCELED. A socket error answers the rest of the window with it.
  // A request whose answer is data, not only an acknowledgement (a generic netlink GET): sends it
  // as request() does and calls `each` for every answer message before the acknowledgement.
  // Returns 0 or a negative errno, with the extended-ack text in `kernel_message`.
  int query(nlmsghdr* request, const std::function<void(const nlmsghdr*)>& each,
            std::string* kernel_message = nullptr);

  std::vector<int> request_all(NetlinkBatch& batch, std::vector<std::string>* kernel_messages = nullptr,
                               const std::function<bool()>& keep_going = {});
  static constexpr std::size_t kWindow = 64;

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
