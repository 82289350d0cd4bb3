// SPDX-License-Identifier: Apache-2.0
#pragma once

// DNS clients for the slow path's tests: queries built by hand from RFC 1035's layout, UDP and TCP
// exchanges with deadlines. Independent of the server's own message code.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace anycastd::dns_test {

using Bytes = std::vector<std::uint8_t>;

// A query for `name` (dotted, no trailing dot), RD clear; with an OPT record when edns_size > 0.
inline Bytes query(std::uint16_t id, const std::string& name, std::uint16_t qtype, std::uint16_t qclass = 1,
                   std::uint16_t edns_size = 0) {
  Bytes q = {static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0, 0, 0, 1, 0, 0, 0, 0, 0,
             static_cast<std::uint8_t>(edns_size ? 1 : 0)};
  std::size_t start = 0;
  while (start <= name.size() && !name.empty()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<std::uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start), name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype),
                     static_cast<std::uint8_t>(qclass >> 8), static_cast<std::uint8_t>(qclass)});
  if (edns_size)
    q.insert(q.end(), {0, 0, 41, static_cast<std::uint8_t>(edns_size >> 8), static_cast<std::uint8_t>(edns_size), 0, 0,
                       0, 0, 0, 0});
  return q;
}

inline std::uint16_t id_of(const Bytes& m) { return static_cast<std::uint16_t>(m.at(0) << 8 | m.at(1)); }
inline int rcode_of(const Bytes& m) { return m.at(3) & 0x0F; }
inline int count_of(const Bytes& m, std::size_t at) { return m.at(at) << 8 | m.at(at + 1); }
// The question's bytes (name, type, class) of a query built by query().
inline std::size_t question_length(const Bytes& q) {
  std::size_t p = 12;
  while (q.at(p)) p += q[p] + 1u;
  return p + 1 + 4 - 12;
}

inline void append_framed(Bytes& stream, const Bytes& m) {
  stream.push_back(static_cast<std::uint8_t>(m.size() >> 8));
  stream.push_back(static_cast<std::uint8_t>(m.size()));
  stream.insert(stream.end(), m.begin(), m.end());
}

inline sockaddr_storage address(const std::string& ip, std::uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  if (ip.find(':') == std::string::npos) {
    auto& in = reinterpret_cast<sockaddr_in&>(ss);
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &in.sin_addr);
    *len = sizeof in;
  } else {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &in6.sin6_addr);
    *len = sizeof in6;
  }
  return ss;
}

// A connected UDP socket: the kernel hands it only datagrams from the address it sent to.
inline int udp_client(const std::string& ip, std::uint16_t port) {
  socklen_t len = 0;
  sockaddr_storage ss = address(ip, port, &len);
  int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&ss), len), 0) << std::strerror(errno);
  return fd;
}

inline void drain(int fd) {
  std::uint8_t buf[65536];
  while (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
  }
}

inline std::optional<Bytes> udp_exchange(const std::string& ip, std::uint16_t port, const Bytes& q,
                                         std::chrono::milliseconds wait = std::chrono::milliseconds(10000)) {
  int fd = udp_client(ip, port);
  std::optional<Bytes> out;
  if (::send(fd, q.data(), q.size(), 0) == static_cast<ssize_t>(q.size())) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) == 1) {
      Bytes buf(65536);
      ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n >= 0) {
        buf.resize(static_cast<std::size_t>(n));
        out = std::move(buf);
      }
    }
  }
  ::close(fd);
  return out;
}

class Tcp {
 public:
  Tcp(const std::string& ip, std::uint16_t port) {
    socklen_t len = 0;
    sockaddr_storage ss = address(ip, port, &len);
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len), 0) << ip << ": " << std::strerror(errno);
  }
  ~Tcp() { close(); }
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;

  void send_raw(const Bytes& b) {
    EXPECT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size())) << std::strerror(errno);
  }
  void send_message(const Bytes& m) {
    Bytes framed;
    append_framed(framed, m);
    send_raw(framed);
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The next whole message, or nullopt (closed, or nothing within the deadline).
  std::optional<Bytes> read_message(std::chrono::milliseconds wait = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      if (buffer_.size() >= 2) {
        std::size_t n = static_cast<std::size_t>(buffer_[0] << 8 | buffer_[1]);
        if (buffer_.size() >= 2 + n) {
          Bytes m(buffer_.begin() + 2, buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(n));
          buffer_.erase(buffer_.begin(), buffer_.begin() + 2 + static_cast<std::ptrdiff_t>(n));
          return m;
        }
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // True when the server closes (EOF or reset) before the deadline; data before that is dropped.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (fill(deadline)) buffer_.clear();
    return eof_;
  }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || eof_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
    std::uint8_t buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.insert(buffer_.end(), buf, buf + n);
    return true;
  }

  int fd_ = -1;
  Bytes buffer_;
  bool eof_ = false;
};

}  // namespace anycastd::dns_test
