// SPDX-License-Identifier: Apache-2.0
#pragma once

// The link part of the DPDK datapath's `datapath` check. With several uplinks, one link down is a
// routing event the router on that link sees by itself; withdrawing the VIPs from the others
// would turn a link failure into an outage. So the datapath stays in place while any port's link
// is up, and says which are down.

#include <algorithm>
#include <string>
#include <vector>

#include "channel.h"
#include "datapath/datapath.h"

namespace anycastd {

// `workers`: how many workers poll (for the detail). ok is false only when no link is up.
inline InPlace port_links_verdict(const std::vector<channel::PortLink>& links, std::size_t workers) {
  std::string down;
  for (const channel::PortLink& l : links)
    if (!l.link_up) down += (down.empty() ? "" : ", ") + std::to_string(l.port);
  if (std::none_of(links.begin(), links.end(), [](const channel::PortLink& l) { return l.link_up != 0; }))
    return {false, links.size() == 1 ? "the port's link is down" : "every port's link is down"};
  return {true, std::to_string(workers) + " DPDK workers polling" + (down.empty() ? "" : "; link down on port " + down)};
}

}  // namespace anycastd
