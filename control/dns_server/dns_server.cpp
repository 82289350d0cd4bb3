// SPDX-License-Identifier: Apache-2.0
#include "dns_server/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>

namespace anycastd::dns_server {

namespace {

// Epoll ids: the timer, then the sockets (1..N), then connections.
constexpr std::uint64_t kTimerId = 0;
constexpr std::uint64_t kFirstConnectionId = 1u << 20;

// Work per socket per call of on_readable(), so that one busy socket or client cannot hold the
// others up: the epoll set is level-triggered, what is left is reported again.
constexpr int kUdpBatch = 64;
constexpr int kAcceptBatch = 32;
constexpr std::size_t kTcpReadBudget = 64 * 1024;
// Replies queued for a TCP client that is not reading them: past this, its queries wait.
constexpr std::size_t kMaxQueued = 64 * 1024;
// Out of descriptors: a listener leaves the epoll set this long rather than spin the loop.
constexpr std::chrono::milliseconds kAcceptPause{100};

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

std::string name_of(const Prefix& address, bool wildcard, int type, std::uint16_t port) {
  std::string where = wildcard ? (address.family == 4 ? "0.0.0.0" : "::") + std::string(" (for ") + address.str() + ")"
                               : address.address();
  return fmt::format("{} port {} ({})", where, port, type == SOCK_DGRAM ? "udp" : "tcp");
}

// The client's address as the cookie hash takes it (network order).
Client client_of(const sockaddr_storage& peer) {
  Client c;
  if (peer.ss_family == AF_INET6) {
    c.ip6 = true;
    std::memcpy(c.address.data(), &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, 16);
  } else {
    std::memcpy(c.address.data(), &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, 4);
  }
  return c;
}

}  // namespace

struct DnsServer::Socket {
  posix_io::UniqueFd fd;
  int family = 0;  // 4 or 6
  int type = 0;    // SOCK_DGRAM or SOCK_STREAM
  bool wildcard = false;
  std::string name;
  std::optional<Clock::time_point> paused_until;
  std::uint64_t id = 0;
};

struct DnsServer::Connection {
  posix_io::UniqueFd fd;
  std::uint64_t id = 0;
  std::vector<std::uint8_t> in;  // received, not yet answered: at most one partial message once read out
  std::vector<std::uint8_t> out; // framed replies not yet sent
  std::size_t sent = 0;          // of out
  bool eof = false;              // the client will send no more
  bool closed = false;
  Client client;                 // the peer, for its cookies
  std::uint32_t events = 0;      // what the epoll set watches for it
  Clock::time_point deadline;
  std::size_t queued() const { return out.size() - sent; }
};

DnsServer::DnsServer(const std::vector<Prefix>& addresses, DnsServerOptions options)
    : options_(options), next_id_(kFirstConnectionId), in_(kMaxMessage + 1), out_(kMaxMessage) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw std::runtime_error(fmt::format("dns server: epoll_create1: {}", std::strerror(errno)));
  timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) throw std::runtime_error(fmt::format("dns server: timerfd_create: {}", std::strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerId;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev) < 0)
    throw std::runtime_error(fmt::format("dns server: epoll_ctl: {}", std::strerror(errno)));

  std::set<Prefix> hosts;
  std::set<int> wildcard_families;
  for (const Prefix& a : addresses) {
    if (a.is_host()) {
      if (!hosts.insert(a).second) continue;
      add_socket(a, false, SOCK_DGRAM);
      add_socket(a, false, SOCK_STREAM);
    } else {
      prefixes_.push_back(a);
      if (!wildcard_families.insert(a.family).second) continue;
      add_socket(a, true, SOCK_DGRAM);
      add_socket(a, true, SOCK_STREAM);
    }
  }
  spdlog::info("dns: serving port {} on {} addresses ({} sockets), tcp idle timeout {} ms, at most {} connections",
               options_.port, addresses.size(), sockets_.size(), options_.tcp_idle_timeout.count(),
               options_.tcp_max_connections);
}

DnsServer::~DnsServer() = default;

void DnsServer::add_socket(const Prefix& address, bool wildcard, int type) {
  auto s = std::make_unique<Socket>();
  s->family = address.family;
  s->type = type;
  s->wildcard = wildcard;
  s->name = name_of(address, wildcard, type, options_.port);
  auto fail = [&](std::string_view what) {
    return std::runtime_error(fmt::format("dns server {}: {}: {}", s->name, what, std::strerror(errno)));
  };
  int af = address.family == 4 ? AF_INET : AF_INET6;
  s->fd.reset(::socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s->fd) throw fail("socket");
  int one = 1;
  // TCP: a restarted daemon is not kept out by TIME_WAIT. UDP: a host address's socket and the
  // family's wildcard socket share the port.
  if (::setsockopt(s->fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) throw fail("SO_REUSEADDR");
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (af == AF_INET) {
    if (::setsockopt(s->fd.get(), IPPROTO_IP, IP_FREEBIND, &one, sizeof one) < 0) throw fail("IP_FREEBIND");
    if (type == SOCK_DGRAM && ::setsockopt(s->fd.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0)
      throw fail("IP_PKTINFO");
    auto& in = reinterpret_cast<sockaddr_in&>(addr);
    in.sin_family = AF_INET;
    in.sin_port = htons(options_.port);
    if (!wildcard) std::memcpy(&in.sin_addr, address.addr.data(), 4);
    len = sizeof in;
  } else {
    if (::setsockopt(s->fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) throw fail("IPV6_V6ONLY");
    if (::setsockopt(s->fd.get(), IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one) < 0) throw fail("IPV6_FREEBIND");
    if (type == SOCK_DGRAM && ::setsockopt(s->fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0)
      throw fail("IPV6_RECVPKTINFO");
    auto& in6 = reinterpret_cast<sockaddr_in6&>(addr);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(options_.port);
    if (!wildcard) std::memcpy(&in6.sin6_addr, address.addr.data(), 16);
    len = sizeof in6;
  }
  if (::bind(s->fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) < 0) throw fail("bind");
  if (type == SOCK_STREAM && ::listen(s->fd.get(), 128) < 0) throw fail("listen");
  s->id = sockets_.size() + 1;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = s->id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s->fd.get(), &ev) < 0) throw fail("epoll_ctl");
  sockets_.push_back(std::move(s));
}

void DnsServer::set_table(std::shared_ptr<const ac_dns_table> table) { table_.store(std::move(table)); }

void DnsServer::set_edns(const ac_dns_edns& edns) { edns_.store(std::make_shared<const ac_dns_edns>(edns)); }

void DnsServer::count(const Verdict& v) {
  count(v.counter);
  if (v.any_minimal) count(kAnyMinimal);
  if (v.dnssec_ok) count(kAnswerDo);
  if (v.proof) count(kSignedProof);
  if (v.cookie) count(*v.cookie);
}

DnsSlowStats DnsServer::stats() const {
  DnsSlowStats s;
  for (std::size_t i = 0; i < s.count.size(); ++i) s.count[i] = counters_[i].load(std::memory_order_relaxed);
  s.tcp_open = tcp_open_.load(std::memory_order_relaxed);
  return s;
}

bool DnsServer::wanted(int family, const std::uint8_t* address) const {
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const Prefix& p) { return p.family == family && p.contains(address); });
}

void DnsServer::on_readable() {
  epoll_event events[64];
  int n = ::epoll_wait(epoll_.get(), events, 64, 0);
  if (n < 0 && errno != EINTR) spdlog::warn("dns server: epoll_wait: {}", std::strerror(errno));
  Clock::time_point now = Clock::now();
  for (int i = 0; i < n; ++i) {
    std::uint64_t id = events[i].data.u64;
    if (id == kTimerId) {
      std::uint64_t expirations;
      while (::read(timer_.get(), &expirations, sizeof expirations) < 0 && errno == EINTR) {
      }
    } else if (id <= sockets_.size()) {
      Socket& s = *sockets_[id - 1];
      if (s.type == SOCK_DGRAM)
        serve_udp(s);
      else
        accept_some(s, now);
    } else if (auto it = connections_.find(id); it != connections_.end() && !it->second->closed) {
      serve_tcp(*it->second, now);
    }
  }
  expire(Clock::now());
  for (std::uint64_t id : closing_) connections_.erase(id);
  closing_.clear();
  rearm_timer();
}

void DnsServer::serve_udp(Socket& s) {
  for (int i = 0; i < kUdpBatch; ++i) {
    sockaddr_storage peer{};
    iovec iov{in_.data(), in_.size()};
    alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))];
    msghdr mh{};
    mh.msg_name = &peer;
    mh.msg_namelen = sizeof peer;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(s.fd.get(), &mh, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN; or an error the next datagram does not share
    }
    count(kUdpQueries);

    // Where the query was sent: the reply's source.
    in_pktinfo info4{};
    in6_pktinfo info6{};
    bool have_destination = false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        std::memcpy(&info4, CMSG_DATA(c), sizeof info4);
        have_destination = true;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        std::memcpy(&info6, CMSG_DATA(c), sizeof info6);
        have_destination = true;
      }
    }
    const auto* destination = s.family == 4 ? reinterpret_cast<const std::uint8_t*>(&info4.ipi_addr)
                                            : reinterpret_cast<const std::uint8_t*>(&info6.ipi6_addr);
    if (!have_destination || (s.wildcard && !wanted(s.family, destination))) {
      count(kDropForeign);
      continue;
    }

    // The table as it is now, for each message: one received after a reload's set_table is
    // answered from the new zones, never from the table the batch started with.
    std::shared_ptr<const ac_dns_table> table = table_.load();
    std::shared_ptr<const ac_dns_edns> edns = edns_.load();
    Verdict v = respond(table.get(), edns.get(), client_of(peer), {in_.data(), static_cast<std::size_t>(n)},
                        Transport::udp, out_);
    count(v);
    if (!v.length) continue;

    iovec reply{out_.data(), v.length};
    alignas(cmsghdr) std::uint8_t source[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    msghdr sm{};
    sm.msg_name = &peer;
    sm.msg_namelen = mh.msg_namelen;
    sm.msg_iov = &reply;
    sm.msg_iovlen = 1;
    sm.msg_control = source;
    cmsghdr* c = reinterpret_cast<cmsghdr*>(source);
    if (s.family == 4) {
      in_pktinfo from{};
      from.ipi_spec_dst = info4.ipi_addr;
      sm.msg_controllen = CMSG_SPACE(sizeof from);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof from);
      std::memcpy(CMSG_DATA(c), &from, sizeof from);
    } else {
      in6_pktinfo from{};
      from.ipi6_addr = info6.ipi6_addr;
      sm.msg_controllen = CMSG_SPACE(sizeof from);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof from);
      std::memcpy(CMSG_DATA(c), &from, sizeof from);
    }
    if (::sendmsg(s.fd.get(), &sm, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) count(kSendErrors);
  }
}

void DnsServer::accept_some(Socket& s, Clock::time_point now) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    posix_io::UniqueFd fd(::accept4(s.fd.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;
      spdlog::warn("dns server {}: accept: {}; not accepting for {} ms", s.name, std::strerror(err),
                   kAcceptPause.count());
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.fd.get(), nullptr);
      s.paused_until = now + kAcceptPause;
      return;
    }
    if (s.wildcard) {
      sockaddr_storage local{};
      socklen_t llen = sizeof local;
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &llen);
      const auto* address = s.family == 4 ? reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<sockaddr_in&>(local).sin_addr)
                                          : reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<sockaddr_in6&>(local).sin6_addr);
      if (!wanted(s.family, address)) {
        count(kDropForeign);
        continue;
      }
    }
    if (connections_.size() - closing_.size() >= options_.tcp_max_connections) {
      count(kTcpOverLimit);
      continue;  // closed as fd goes
    }
    count(kTcpAccepted);
    auto c = std::make_unique<Connection>();
    c->id = next_id_++;
    c->fd = std::move(fd);
    c->client = client_of(peer);
    c->deadline = now + options_.tcp_idle_timeout;
    c->events = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = c->events;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->fd.get(), &ev) < 0) {
      spdlog::warn("dns server {}: epoll_ctl: {}", s.name, std::strerror(errno));
      continue;
    }
    tcp_open_.fetch_add(1, std::memory_order_relaxed);
    connections_.emplace(c->id, std::move(c));
  }
}

void DnsServer::serve_tcp(Connection& c, Clock::time_point now) {
  auto answer_whole_messages = [&] {
    std::size_t at = 0;
    while (c.queued() < kMaxQueued && c.in.size() - at >= 2) {
      std::size_t length = be16(c.in.data() + at);
      if (c.in.size() - at - 2 < length) break;
      count(kTcpQueries);
      std::shared_ptr<const ac_dns_table> table = table_.load();
      std::shared_ptr<const ac_dns_edns> edns = edns_.load();
      Verdict v = respond(table.get(), edns.get(), c.client, {c.in.data() + at + 2, length}, Transport::tcp, out_);
      count(v);
      if (v.length) {
        c.out.push_back(static_cast<std::uint8_t>(v.length >> 8));
        c.out.push_back(static_cast<std::uint8_t>(v.length));
        c.out.insert(c.out.end(), out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(v.length));
      }
      at += 2 + length;
      c.deadline = now + options_.tcp_idle_timeout;
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(at));
  };

  flush(c, now);
  if (c.closed) return;
  answer_whole_messages();
  std::uint8_t buf[16384];
  for (std::size_t got = 0; !c.eof && c.queued() < kMaxQueued && got < kTcpReadBudget;) {
    ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      c.in.insert(c.in.end(), buf, buf + n);
      answer_whole_messages();
    } else if (n == 0) {
      c.eof = true;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else {
      close(c);  // reset by the client
      return;
    }
  }
  flush(c, now);
  if (c.closed) return;
  // Gone, and everything it asked (whole) is answered: a partial message dies with it.
  if (c.eof && !c.queued() && (c.in.size() < 2 || c.in.size() - 2 < be16(c.in.data()))) {
    close(c);
    return;
  }
  update_interest(c);
}

void DnsServer::flush(Connection& c, Clock::time_point now) {
  while (c.queued()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.sent, c.queued(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.sent += static_cast<std::size_t>(n);
      c.deadline = now + options_.tcp_idle_timeout;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    count(kSendErrors);
    close(c);
    return;
  }
  if (!c.queued()) {
    c.out.clear();
    c.sent = 0;
  }
}

void DnsServer::update_interest(Connection& c) {
  std::uint32_t events = 0;
  if (!c.eof && c.queued() < kMaxQueued) events |= EPOLLIN | EPOLLRDHUP;
  if (c.queued()) events |= EPOLLOUT;
  if (events == c.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) < 0) {
    close(c);
    return;
  }
  c.events = events;
}

void DnsServer::close(Connection& c) {
  // Out of the epoll set now; destroyed after the batch, so that references stay valid until then.
  if (c.closed) return;
  c.closed = true;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
  closing_.push_back(c.id);
  tcp_open_.fetch_sub(1, std::memory_order_relaxed);
}

void DnsServer::expire(Clock::time_point now) {
  for (auto& s : sockets_) {
    if (!s->paused_until || *s->paused_until > now) continue;
    s->paused_until.reset();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = s->id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s->fd.get(), &ev) < 0)
      spdlog::warn("dns server {}: epoll_ctl: {}; not accepting until a restart", s->name, std::strerror(errno));
  }
  for (auto& [id, c] : connections_) {
    if (c->closed || c->deadline > now) continue;
    count(kTcpIdleClosed);
    close(*c);
  }
}

void DnsServer::rearm_timer() {
  std::optional<Clock::time_point> next;
  for (const auto& s : sockets_)
    if (s->paused_until && (!next || *s->paused_until < *next)) next = s->paused_until;
  for (const auto& [id, c] : connections_)
    if (!c->closed && (!next || c->deadline < *next)) next = c->deadline;
  if (Refusal error = posix_io::arm_timer(timer_.get(), next)) spdlog::warn("dns server: {}", error.why());
}

}  // namespace anycastd::dns_server
