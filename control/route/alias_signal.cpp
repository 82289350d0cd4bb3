// SPDX-License-Identifier: Apache-2.0
#include "route/alias_signal.h"

#include <stdexcept>

namespace anycastd {

AliasSignal::AliasSignal(AliasSet& aliases) : RouteSignal(SignalKind::alias, aliases.loopback().name), aliases_(&aliases) {}

// Only up is asked of it (carries() says so) and there are no attributes (the config check
// refuses them for alias).
void AliasSignal::announce(const RouteGroup& group, RouteState, const RouteAttributes&) {
  run_recorded("announce up", [&] {
    try {
      aliases_->set(group.vips);
    } catch (const std::runtime_error& e) {
      throw RouteSignalError(e.what());
    }
    return aliases_->describe();
  });
}

void AliasSignal::withdraw(const RouteGroup&) {
  run_recorded("withdraw", [&] {
    aliases_->clear();
    return std::string("aliases removed");
  });
}

SignalProbe AliasSignal::probe(const RouteGroup& group) {
  SignalProbe p;
  try {
    LoopbackSnapshot now = LoopbackSnapshot::take(aliases_->netlink(), aliases_->loopback());
    std::size_t present = 0;
    for (const Prefix& vip : group.vips)
      if (now.find(vip, aliases_->form())) ++present;
    p.reachable = true;
    p.announced = present == group.vips.size() ? Announced::yes : present == 0 ? Announced::no : Announced::partly;
    p.detail = std::to_string(present) + " of " + std::to_string(group.vips.size()) + " VIPs on " +
               aliases_->loopback().name;
  } catch (const std::runtime_error& e) {
    p.detail = e.what();
  }
  record_probe(p.reachable);
  return p;
}

}  // namespace anycastd
