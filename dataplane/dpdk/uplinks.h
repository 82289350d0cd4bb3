// SPDX-License-Identifier: Apache-2.0
#pragma once

// How the worker lcores are spread over the ports EAL probed (pure logic, unit-tested): every
// port gets the same number of RX/TX queue pairs, one worker lcore each, so that a reply leaves
// by the port (and queue) its request came in on, as XDP_TX does, and no two lcores share a
// queue. Worker i polls port i / Q, queue i % Q (Q: queues per port).

#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace anycastd::dpdk {

struct WorkerSlot {
  std::uint16_t port_index;  // into the probed ports, in port id order
  std::uint16_t queue;
};

// Whether `lcores` (main included) give every one of `ports` ports the same number of workers,
// at least one each.
inline bool workers_fit(unsigned lcores, unsigned ports) {
  return ports > 0 && lcores >= 2 && (lcores - 1) % ports == 0 && lcores - 1 >= ports;
}

// How many lcores an EAL --lcores list names ("0-2", "2,4,6", "0-1,2@1", "(0-1)@0,2@(0-1)"): the
// lcores before each '@', distinct. nullopt when the text is not in that form: EAL is the judge.
inline std::optional<unsigned> lcore_count(const std::string& text) {
  std::set<unsigned> lcores;
  std::size_t at = 0;
  auto number = [&](unsigned& out) {
    if (at >= text.size() || !std::isdigit(static_cast<unsigned char>(text[at]))) return false;
    out = 0;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) {
      out = out * 10 + static_cast<unsigned>(text[at++] - '0');
      if (out > 4096) return false;
    }
    return true;
  };
  auto range = [&](std::set<unsigned>* into) {  // N or N-M
    unsigned a, b;
    if (!number(a)) return false;
    b = a;
    if (at < text.size() && text[at] == '-' && (++at, !number(b))) return false;
    if (b < a) return false;
    for (unsigned i = a; into && i <= b; ++i) into->insert(i);
    return true;
  };
  auto set = [&](std::set<unsigned>* into) {  // a range, or (range,range...)
    if (at < text.size() && text[at] == '(') {
      ++at;
      do {
        if (!range(into)) return false;
      } while (at < text.size() && text[at] == ',' && ++at);
      return at < text.size() && text[at++] == ')';
    }
    return range(into);
  };
  do {
    if (!set(&lcores)) return std::nullopt;
    if (at < text.size() && text[at] == '@' && (++at, !set(nullptr))) return std::nullopt;
  } while (at < text.size() && text[at] == ',' && ++at);
  if (at != text.size()) return std::nullopt;
  return static_cast<unsigned>(lcores.size());
}

// "" when `lcores` (main included), the probed `ports` and the exception `interfaces` named fit
// together; otherwise what is wrong and what to change.
inline std::string uplink_problem(unsigned lcores, unsigned ports, unsigned interfaces, unsigned max_ports) {
  const std::string workers = std::to_string(lcores > 0 ? lcores - 1 : 0);
  if (ports == 0)
    return "EAL probed no ethdev port from its arguments: give each port to EAL (one PCI address with -a, or a "
           "--vdev such as net_af_xdp0,iface=eth0)";
  if (ports > max_ports)
    return "EAL probed " + std::to_string(ports) + " ethdev ports; one datapath drives at most " +
           std::to_string(max_ports);
  if (interfaces != ports)
    return "EAL probed " + std::to_string(ports) + " ethdev port" + (ports == 1 ? "" : "s") + " but " +
           std::to_string(interfaces) + " exception interface" + (interfaces == 1 ? " is" : "s are") +
           " named: each port needs its own (--exception-interface once per port; in anycastd's "
           "configuration, one [[datapath.dpdk.ports]] entry per port)";
  if (!workers_fit(lcores, ports))
    return "EAL has " + std::to_string(lcores) + " lcore" + (lcores == 1 ? "" : "s") + " (" + workers +
           " worker" + (workers == "1" ? "" : "s") + ") for " + std::to_string(ports) +
           " port" + (ports == 1 ? "" : "s") +
           ": the main lcore serves the channel and every port needs the same number of worker lcores, one per "
           "queue (give 1 + a multiple of " + std::to_string(ports) + " lcores, e.g. -l 0-" + std::to_string(ports) + ")";
  return "";
}

// Call only when uplink_problem(...) is "".
inline std::vector<WorkerSlot> assign_workers(unsigned workers, unsigned ports) {
  std::vector<WorkerSlot> slots;
  const unsigned per_port = workers / ports;
  for (unsigned i = 0; i < workers; ++i)
    slots.push_back({static_cast<std::uint16_t>(i / per_port), static_cast<std::uint16_t>(i % per_port)});
  return slots;
}

}  // namespace anycastd::dpdk
