// SPDX-License-Identifier: Apache-2.0
#pragma once

// The DNS slow path in a thread of its own. Not in the daemon's poll loop, for two reasons: the
// loop keeps the routes honest (health checks, group machines, the watchdog) and a flood of
// queries to the slow path (TC retries, ANY, TCP clients) must not delay it; and the loop's own
// slow moments (a reload compiling a large zone, rendering a status) must not stall DNS answers.
// The two share only the table pointer (swapped atomically) and the counters (atomics).
//
//   DnsServerThread dns(vips, {.port = 53});   // binds in the caller's thread: errors throw here
//   dns.set_table(table);                      // after every (re)load
//   dns.set_edns(settings);                    // at start, on reloads, every second
//   dns.stats();                               // for status and metrics
//   // destroyed: the thread stops, the sockets close

#include <memory>
#include <thread>
#include <vector>

#include "dns_server/dns_server.h"
#include "base/posix_io.h"

namespace anycastd::dns_server {

class DnsServerThread {
 public:
  // Throws what DnsServer throws (a socket that does not bind), or std::runtime_error.
  DnsServerThread(const std::vector<Prefix>& addresses, DnsServerOptions options = {});
  ~DnsServerThread();
  DnsServerThread(const DnsServerThread&) = delete;
  DnsServerThread& operator=(const DnsServerThread&) = delete;

  void set_table(std::shared_ptr<const ac_dns_table> table) { server_.set_table(std::move(table)); }
  void set_edns(const ac_dns_edns& edns) { server_.set_edns(edns); }
  DnsSlowStats stats() const { return server_.stats(); }

 private:
  void run();

  DnsServer server_;
  posix_io::UniqueFd stop_;  // an eventfd: written once, at destruction
  std::thread thread_;
};

}  // namespace anycastd::dns_server
