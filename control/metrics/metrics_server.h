// SPDX-License-Identifier: Apache-2.0
#pragma once

// The Prometheus endpoint: a TCP listener that answers GET /metrics, one request per connection
// (Connection: close), served from the daemon's poll loop without blocking it, like the control
// socket (base/request_server.h):
//
//   MetricsServer metrics(config.metrics.listen, [&] { return metrics::render_metrics(snapshot()); });
//   ... poll metrics.fd() for POLLIN, then metrics.on_readable();
//
// 200 with the rendered text for GET (or HEAD) /metrics; 404 for any other path; 405 for any
// other method; 400 for what is not an HTTP/1.x request; 408 when the request does not arrive
// within the deadline; 431 when its head is larger than max_request; 500 if rendering throws.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/listen_address.h"
#include "base/posix_io.h"

namespace anycastd {
class RequestServer;
}

namespace anycastd::metrics {

struct MetricsServerOptions {
  std::chrono::milliseconds deadline{1000};
  std::size_t max_request = 8 * 1024;  // request line and headers; a scraper sends a few hundred bytes
  std::size_t max_connections = 16;
};

class MetricsServer {
 public:
  // The body of a 200: the metrics text.
  using Render = std::function<std::string()>;

  // Binds and listens (SO_REUSEADDR, so a restarted daemon is not kept out by TIME_WAIT; an IPv6
  // address listens to IPv6 only). Throws std::invalid_argument for a bad address and
  // std::runtime_error naming the address when binding fails ("address already in use").
  // `inherited`: the listener a restart in place handed over; taken when it listens on `listen`,
  // else closed (the configuration moved it) and `listen` bound anew.
  MetricsServer(std::string_view listen, Render render, MetricsServerOptions options = {},
                posix_io::UniqueFd inherited = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  int fd() const;
  int listener_fd() const;
  void on_readable();
  // Stops accepting and answers the scrapes already accepted (until `until`): before the
  // listener passes to the next image.
  void finish(std::chrono::steady_clock::time_point until);

  // The address listened on, with the port the kernel chose when 0 was asked.
  const ListenAddress& address() const { return address_; }

 private:
  std::string respond(std::string_view request);
  posix_io::UniqueFd bind_listener();

  ListenAddress address_;
  Render render_;
  MetricsServerOptions options_;
  std::unique_ptr<RequestServer> server_;
};

}  // namespace anycastd::metrics
