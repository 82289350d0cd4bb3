// SPDX-License-Identifier: Apache-2.0
#include "netlink/netlink_socket.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

namespace anycastd {
namespace {

// Large enough for one batch of a dump: the kernel fills up to 32 KiB per read when the reader
// offers it, and a smaller buffer would truncate messages.
constexpr std::size_t kBufferSize = 32768;
constexpr int kDumpAttempts = 5;

int find_ext_ack_message(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
    *static_cast<std::string*>(data) = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

std::string ext_ack_message(const nlmsghdr* nlh) {
  std::string message;
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return message;
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  std::size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (offset > mnl_nlmsg_get_payload_len(nlh)) return message;
  mnl_attr_parse(nlh, static_cast<unsigned>(offset), find_ext_ack_message, &message);
  return message;
}

}  // namespace

nlmsghdr* NetlinkBatch::start() {
  std::size_t offset = bytes_.size();
  bytes_.resize(offset + kMaxMessage, 0);
  return reinterpret_cast<nlmsghdr*>(bytes_.data() + offset);
}

void NetlinkBatch::commit() {
  std::size_t offset = bytes_.size() - kMaxMessage;
  auto* nlh = reinterpret_cast<nlmsghdr*>(bytes_.data() + offset);
  bytes_.resize(offset + MNL_ALIGN(nlh->nlmsg_len));
  offsets_.push_back(offset);
}

nlmsghdr* NetlinkBatch::at(std::size_t i) {
  return reinterpret_cast<nlmsghdr*>(bytes_.data() + offsets_[i]);
}

NetlinkSocket::NetlinkSocket(int bus) : socket_(mnl_socket_open2(bus, SOCK_CLOEXEC)) {
  if (!socket_) throw std::runtime_error(std::string("opening a netlink socket: ") + std::strerror(errno));
  int on = 1;
  // Best effort: without them errors still arrive, only with less detail.
  mnl_socket_setsockopt(socket_, NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(socket_, NETLINK_CAP_ACK, &on, sizeof on);
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(socket_);
    throw std::runtime_error(std::string("binding a netlink socket: ") + std::strerror(err));
  }
  portid_ = mnl_socket_get_portid(socket_);
  seq_ = static_cast<std::uint32_t>(std::time(nullptr));
}

NetlinkSocket::~NetlinkSocket() {
  mnl_socket_close(socket_);
}

int NetlinkSocket::request(nlmsghdr* nlh, std::string* kernel_message) {
  return query(nlh, {}, kernel_message);
}

int NetlinkSocket::query(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& each,
                         std::string* kernel_message) {
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = ++seq_;
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) return -errno;

  std::vector<char> buffer(kBufferSize);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n < 0) return -errno;
    int len = static_cast<int>(n);
    for (auto* reply = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(reply, len);
         reply = mnl_nlmsg_next(reply, &len)) {
      // Answers to earlier requests that were abandoned (none today) are not ours to read.
      if (reply->nlmsg_seq != seq_) continue;
      if (reply->nlmsg_type != NLMSG_ERROR) {
        if (each && reply->nlmsg_type != NLMSG_NOOP && reply->nlmsg_type != NLMSG_DONE) each(reply);
        continue;
      }
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
      if (kernel_message) *kernel_message = ext_ack_message(reply);
      return err->error;
    }
  }
}

std::vector<int> NetlinkSocket::request_all(NetlinkBatch& batch, std::vector<std::string>* kernel_messages,
                                            const std::function<bool()>& keep_going) {
  const std::size_t count = batch.size();
  std::vector<int> answers(count, -ECANCELED);
  if (kernel_messages) kernel_messages->assign(count, {});
  std::vector<char> buffer(kBufferSize);
  for (std::size_t first = 0; first < count; first += kWindow) {
    if (first > 0 && keep_going && !keep_going()) break;
    const std::size_t end = std::min(count, first + kWindow);
    const std::uint32_t base = seq_ + 1;
    for (std::size_t i = first; i < end; ++i) {
      nlmsghdr* nlh = batch.at(i);
      nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
      nlh->nlmsg_seq = ++seq_;
    }
    // The window's messages lie back to back in the batch: one datagram, which the kernel
    // handles message by message, answering each in order.
    auto* from = reinterpret_cast<const char*>(batch.at(first));
    auto* last = batch.at(end - 1);
    std::size_t bytes = static_cast<std::size_t>(reinterpret_cast<const char*>(last) - from) + last->nlmsg_len;
    if (mnl_socket_sendto(socket_, from, bytes) < 0) {
      std::fill(answers.begin() + static_cast<std::ptrdiff_t>(first), answers.end(), -errno);
      return answers;
    }
    std::size_t waiting = end - first;
    std::vector<bool> answered(waiting, false);
    while (waiting > 0) {
      ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
      if (n < 0) {
        int err = -errno;
        for (std::size_t i = 0; i < answered.size(); ++i)
          if (!answered[i]) answers[first + i] = err;
        std::fill(answers.begin() + static_cast<std::ptrdiff_t>(end), answers.end(), err);
        return answers;
      }
      int len = static_cast<int>(n);
      for (auto* reply = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(reply, len);
           reply = mnl_nlmsg_next(reply, &len)) {
        std::uint32_t k = reply->nlmsg_seq - base;
        if (reply->nlmsg_type != NLMSG_ERROR || k >= answered.size() || answered[k]) continue;
        auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
        answers[first + k] = err->error;
        if (kernel_messages && err->error) (*kernel_messages)[first + k] = ext_ack_message(reply);
        answered[k] = true;
        --waiting;
      }
    }
  }
  return answers;
}

int NetlinkSocket::dump(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& each) {
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  std::vector<char> buffer(kBufferSize);
  for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
    nlh->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) return -errno;

    // Collected and delivered only once the dump ended cleanly: an interrupted dump (the table
    // changed under it) may have skipped or repeated entries, so it is read to the end and redone.
    std::vector<std::vector<char>> messages;
    bool interrupted = false, done = false;
    while (!done) {
      ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
      if (n < 0) return -errno;
      int len = static_cast<int>(n);
      for (auto* m = reinterpret_cast<const nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(m, len);
           m = mnl_nlmsg_next(m, &len)) {
        if (m->nlmsg_seq != seq_ || (m->nlmsg_pid != 0 && m->nlmsg_pid != portid_)) continue;
        if (m->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (m->nlmsg_type == NLMSG_ERROR) {
          auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m));
          return err->error ? err->error : -EPROTO;
        }
        const char* start = reinterpret_cast<const char*>(m);
        messages.emplace_back(start, start + m->nlmsg_len);
      }
    }
    if (interrupted) continue;
    for (const auto& m : messages) each(reinterpret_cast<const nlmsghdr*>(m.data()));
    return 0;
  }
  return -EINTR;
}

}  // namespace anycastd
