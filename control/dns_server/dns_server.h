// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DNS slow path: anycastd's own DNS server on the VIPs, through the kernel's sockets (the
// loopback alias holds the VIPs). UDP for what the fast path passes (everything when there is no
// fast path), TCP per RFC 7766. Answers come from the same compiled table as the fast path's,
// with the same core functions (responder.h).
//
//   DnsServer server(vips, {.port = 53});          // binds; throws naming the address
//   server.set_table(table);                       // any thread, any time (reload)
//   ... poll server.fd() for POLLIN, then server.on_readable();
//
// Sockets: one UDP socket and one TCP listener per VIP host address, bound with IP_FREEBIND /
// IPV6_FREEBIND so that they bind before the alias holds the address (the groups add and remove
// it as health dictates) and are never rebound. A reply leaves from the address the query was
// sent to because the socket is bound to it: no other address of the host is served, and
// another server may hold port 53 on the host's other addresses. A VIP prefix shorter than a
// host (a local route for a whole /24) cannot be bound address by address: it is served by the
// family's wildcard socket, which takes the destination of each datagram from IP_PKTINFO /
// IPV6_PKTINFO, answers only destinations inside a configured VIP prefix (counting the others as
// drop_foreign), and sends the reply from that destination; TCP connections to other addresses
// are closed.
//
// TCP (RFC 7766): 2-byte length framing, any number of queries per connection, pipelined queries
// answered in order as they arrive, an idle timeout (no query, or no reply taken, for that long:
// closed), a connection limit (over it a new connection is closed at once). Replies are never
// truncated on TCP. A client that does not read its replies stops being read once a few replies
// are queued, and meets the idle timeout.
//
// Everything is non-blocking; fd() is an epoll set of the server's own (sockets and a timerfd for
// the idle deadlines), so one call to on_readable() does what is ready and returns, bounded per
// call. DnsServerThread (server_thread.h) serves it in a thread of its own.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "abi.h"
#include "dns_server/responder.h"
#include "dns_server/slow_path_counters.h"
#include "base/posix_io.h"
#include "base/prefix.h"

namespace anycastd::dns_server {

struct DnsServerOptions {
  std::uint16_t port = 53;
  std::chrono::milliseconds tcp_idle_timeout{10'000};  // RFC 7766 6.2.3: seconds, not minutes
  std::size_t tcp_max_connections = 256;
};

class DnsServer {
 public:
  // Binds UDP and TCP for every address (see above). Throws std::runtime_error naming the
  // address, the port and the reason ("192.0.2.53 port 53 (tcp): Address already in use").
  DnsServer(const std::vector<Prefix>& addresses, DnsServerOptions options = {});
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // The table every query from now on is answered from (null: none; queries get REFUSED). A
  // query is answered from one whole table, old or new. Any thread.
  void set_table(std::shared_ptr<const ac_dns_table> table);
  // The NSID, cookie secrets and cookie clock queries are answered with from now on (control
  // writes them at start, on reloads and every second for `now`). Any thread.
  void set_edns(const ac_dns_edns& edns);

  DnsSlowStats stats() const;  // any thread

  // Poll for POLLIN, then on_readable() (on one thread at a time).
  int fd() const { return epoll_.get(); }
  void on_readable();

 private:
  struct Socket;
  struct Connection;
  using Clock = std::chrono::steady_clock;

  void add_socket(const Prefix& address, bool wildcard, int type);
  bool wanted(int family, const std::uint8_t* address) const;
  void serve_udp(Socket& s);
  void accept_some(Socket& s, Clock::time_point now);
  void serve_tcp(Connection& c, Clock::time_point now);
  void flush(Connection& c, Clock::time_point now);
  void update_interest(Connection& c);
  void close(Connection& c);
  void expire(Clock::time_point now);
  void rearm_timer();
  void count(DnsSlowCounter counter) { counters_[counter].fetch_add(1, std::memory_order_relaxed); }
  void count(const Verdict& v);

  DnsServerOptions options_;
  std::vector<Prefix> prefixes_;  // served by the wildcard sockets
  posix_io::UniqueFd epoll_;
  posix_io::UniqueFd timer_;
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::uint64_t> closing_;
  std::uint64_t next_id_;
  std::vector<std::uint8_t> in_;   // a datagram
  std::vector<std::uint8_t> out_;  // a reply
  std::atomic<std::shared_ptr<const ac_dns_table>> table_;
  std::atomic<std::shared_ptr<const ac_dns_edns>> edns_;
  std::array<std::atomic<std::uint64_t>, kDnsSlowCounterCount> counters_{};
  std::atomic<std::uint64_t> tcp_open_{0};
};

}  // namespace anycastd::dns_server
