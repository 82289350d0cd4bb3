// SPDX-License-Identifier: Apache-2.0
#include "dns_server/server_thread.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd::dns_server {

DnsServerThread::DnsServerThread(const std::vector<Prefix>& addresses, DnsServerOptions options)
    : server_(addresses, options), stop_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!stop_) throw std::runtime_error(fmt::format("dns server: eventfd: {}", std::strerror(errno)));
  thread_ = std::thread([this] { run(); });
}

DnsServerThread::~DnsServerThread() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_.get(), &one, sizeof one);
  thread_.join();
}

void DnsServerThread::run() {
  pollfd fds[] = {{server_.fd(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::critical("dns server: poll: {}; the slow path stops", std::strerror(errno));
      return;
    }
    if (fds[1].revents & POLLIN) return;
    try {
      server_.on_readable();
    } catch (const std::exception& e) {
      // Memory ran out for a buffer: that batch is lost, the server goes on.
      spdlog::error("dns server: {}", e.what());
    }
  }
}

}  // namespace anycastd::dns_server
