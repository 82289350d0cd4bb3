// SPDX-License-Identifier: Apache-2.0
//
// udp_echo_server: the echo server an operator would write without anycastd, as the benchmark's
// baseline. One thread per CPU and family, each with its own SO_REUSEPORT socket bound to the
// wildcard address (the kernel spreads flows over them), recvmmsg/sendmmsg 64 datagrams at a
// time, and IP_PKTINFO / IPV6_RECVPKTINFO so each answer leaves from the address the request
// was sent to (the VIP on the loopback), as an anycast service must.
//
//   udp_echo_server [--port N] [--threads N] [--family 4|6|both] [--first-cpu N]
// Runs until SIGTERM or SIGINT, then prints how many datagrams it echoed (and how many answers
// it could not send, with the last error).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr unsigned kBatch = 64;
constexpr std::size_t kMaxDatagram = 9000;
std::atomic<bool> g_stop{false};

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr,
               "udp_echo_server: %s\nusage: udp_echo_server [--port N] [--threads N] [--family 4|6|both] [--first-cpu N]\n",
               why.c_str());
  std::exit(2);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int open_socket(int family, std::uint16_t port) {
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // A deeper queue than the default ~200 KiB rides out scheduling hiccups, as a tuned server would.
  const int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == 4) {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    len = sizeof *sin;
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    // An IPv6 VIP served as a local route is not an interface address, and IPv6 refuses it as
    // the source of an answer unless the socket may use addresses it does not own.
    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    len = sizeof *sin6;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    int err = errno;
    close(fd);
    throw std::runtime_error("bind to port " + std::to_string(port) + ": " + std::strerror(err));
  }
  return fd;
}

// Receives a batch, turns each received packet-info into the source of its answer, sends the
// batch back. The poll timeout only lets the thread notice a stop.
void serve(int fd, int family, std::atomic<unsigned long long>* echoed, std::atomic<unsigned long long>* unsent,
           std::atomic<int>* last_error) {
  std::vector<std::vector<char>> bufs(kBatch, std::vector<char>(kMaxDatagram));
  std::vector<sockaddr_storage> peers(kBatch);
  std::vector<iovec> iov(kBatch);
  std::vector<std::vector<char>> ctrl(kBatch, std::vector<char>(CMSG_SPACE(sizeof(in6_pktinfo))));
  std::vector<mmsghdr> in(kBatch), out(kBatch);
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), kMaxDatagram};
      in[i].msg_hdr = {};
      in[i].msg_hdr.msg_name = &peers[i];
      in[i].msg_hdr.msg_namelen = sizeof peers[i];
      in[i].msg_hdr.msg_iov = &iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
      in[i].msg_hdr.msg_control = ctrl[i].data();
      in[i].msg_hdr.msg_controllen = ctrl[i].size();
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int n = recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) continue;
    for (int i = 0; i < n; ++i) {
      msghdr& h = in[static_cast<std::size_t>(i)].msg_hdr;
      iov[static_cast<std::size_t>(i)].iov_len = in[static_cast<std::size_t>(i)].msg_len;
      // Keep only the packet-info, with the interface cleared: the route picks the way out.
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (family == 4 && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          auto* pi = reinterpret_cast<in_pktinfo*>(CMSG_DATA(c));
          pi->ipi_ifindex = 0;
          pi->ipi_spec_dst = pi->ipi_addr;
        } else if (family == 6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          reinterpret_cast<in6_pktinfo*>(CMSG_DATA(c))->ipi6_ifindex = 0;
        }
      }
      out[static_cast<std::size_t>(i)].msg_hdr = h;
    }
    int sent = 0;
    while (sent < n) {
      int r = sendmmsg(fd, out.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (r <= 0) {  // dropped, as any server drops what it cannot send; counted for the exit line
        last_error->store(errno, std::memory_order_relaxed);
        unsent->fetch_add(static_cast<unsigned long long>(n - sent), std::memory_order_relaxed);
        break;
      }
      sent += r;
    }
    echoed->fetch_add(static_cast<unsigned long long>(sent), std::memory_order_relaxed);
  }
}

void on_signal(int) { g_stop.store(true); }

}  // namespace

int main(int argc, char** argv) try {
  std::uint16_t port = 7;
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  bool want4 = true, want6 = true;
  int first_cpu = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port") {
      long v = std::strtol(value().c_str(), nullptr, 10);
      if (v < 1 || v > 65535) usage_error("--port must be 1 .. 65535");
      port = static_cast<std::uint16_t>(v);
    } else if (a == "--threads") {
      threads = std::atoi(value().c_str());
      if (threads < 1 || threads > 256) usage_error("--threads must be 1 .. 256");
    } else if (a == "--family") {
      std::string f = value();
      if (f == "4") want6 = false;
      else if (f == "6") want4 = false;
      else if (f != "both") usage_error("--family is 4, 6 or both");
    } else if (a == "--first-cpu") {
      first_cpu = std::atoi(value().c_str());
      if (first_cpu < 0 || first_cpu > 4095) usage_error("--first-cpu must be 0 .. 4095");
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: udp_echo_server [--port N] [--threads N (default: one per CPU)] [--family 4|6|both]\n"
                  "                       [--first-cpu N (thread k runs on CPU N+k, modulo the CPUs)]\n");
      return 0;
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  std::atomic<unsigned long long> echoed{0}, unsent{0};
  std::atomic<int> last_error{0};
  std::vector<std::unique_ptr<Fd>> fds;
  std::vector<std::thread> workers;
  const unsigned ncpu = std::max(1u, std::thread::hardware_concurrency());
  for (int family : {4, 6}) {
    if ((family == 4 && !want4) || (family == 6 && !want6)) continue;
    for (int k = 0; k < threads; ++k) {
      fds.push_back(std::make_unique<Fd>(open_socket(family, port)));
      int fd = fds.back()->get();
      workers.emplace_back([fd, family, k, ncpu, first_cpu, &echoed, &unsent, &last_error] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<unsigned>(first_cpu + k) % ncpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        serve(fd, family, &echoed, &unsent, &last_error);
      });
    }
  }
  std::printf("udp_echo_server listening on port %u, %d thread(s) per family\n", port, threads);
  std::fflush(stdout);
  for (auto& w : workers) w.join();
  std::printf("udp_echo_server echoed %llu datagrams\n", echoed.load());
  if (unsent.load())
    std::printf("udp_echo_server could not send %llu answers (last error: %s)\n", unsent.load(),
                std::strerror(last_error.load()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "udp_echo_server: %s\n", e.what());
  return 1;
}
