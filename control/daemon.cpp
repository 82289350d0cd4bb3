// SPDX-License-Identifier: Apache-2.0
#include "daemon.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "capabilities.h"
#include "instance_lock.h"
#include "netlink.h"
#include "signals.h"
#include "stats_log.h"
#include "xdp_attach.h"
#include "xdp_program.h"

namespace anycastd {
namespace {

std::string join_vips(const std::vector<LoopbackAddress>& aliases) {
  std::string out;
  for (const auto& a : aliases) out += (out.empty() ? "" : ", ") + a.describe();
  return out;
}

std::string join_services(const Config& config) {
  std::string out;
  for (const ServiceConfig& s : config.services) {
    out += (out.empty() ? "" : ", ") + std::string(s.name()) + "/" + std::to_string(s.port);
    if (!s.allow.empty()) out += " (allow " + std::to_string(s.allow.size()) + " prefixes)";
  }
  return out.empty() ? "none (the kernel answers everything)" : out;
}

// Marked VIPs that are not configured: left by an earlier instance with another configuration.
// Reported, not removed: the operator decides.
void report_leftovers(const LoopbackSnapshot& before, const Config& config, const Interface& loopback) {
  for (const LoopbackEntry& e : before.marked()) {
    bool configured = false;
    for (const Prefix& vip : config.anycast.addresses)
      if (e.is_route ? e.prefix == vip : (vip.is_host() && vip.family == e.prefix.family && vip.addr == e.prefix.addr))
        configured = true;
    if (configured) continue;
    if (e.is_route)
      spdlog::warn("local route {} on {} carries anycastd's marker but is not configured: left alone "
                   "(remove it with: ip route del local {} dev {} table local)",
                   e.prefix.str(), loopback.name, e.prefix.str(), loopback.name);
    else
      spdlog::warn("address {} on {} carries anycastd's marker but is not configured: left alone "
                   "(remove it with: ip addr del {} dev {})",
                   e.prefix.str(), loopback.name, e.prefix.str(), loopback.name);
  }
}

int serve(const Config& config, SignalFd& signals) {
  // Declared in start order, so that leaving this function undoes in reverse: VIPs, netlink,
  // attachment, program, locks. Start order: a complete fast path first, the VIPs last,
  // because a VIP on the loopback is what announces the route.
  std::optional<InstanceLock> nic_lock, loopback_lock;
  std::optional<XdpProgram> program;
  std::optional<XdpAttachment> attachment;
  std::optional<NetlinkSocket> netlink;
  std::vector<LoopbackAddress> aliases;
  Interface nic;
  try {
    nic = find_interface(config.datapath.interface);
    Interface loopback = find_interface(config.anycast.loopback);
    nic_lock.emplace("xdp", nic.name);
    loopback_lock.emplace("loopback", loopback.name);

    XdpLoadOptions load;
    load.vip_max_entries = config.datapath.vip_max_entries;
    load.allow_max_entries = config.datapath.allow_max_entries;
    program.emplace(load);
    program->write_tables(build_tables(config));

    attachment.emplace(nic, program->prog_fd(), config.datapath.xdp_mode);

    netlink.emplace();
    LoopbackSnapshot before = LoopbackSnapshot::take(*netlink, loopback);
    report_leftovers(before, config, loopback);
    aliases.reserve(config.anycast.addresses.size());
    for (const Prefix& vip : config.anycast.addresses) aliases.emplace_back(*netlink, loopback, vip, &before);
  } catch (const std::exception& e) {
    // Said before the undo so the reason comes first in the log.
    spdlog::critical("start-up failed: {}", e.what());
    if (program) spdlog::info("undoing what was done");
    return 1;
  }

  std::string replaced = attachment->replaced_prog_id()
                             ? ", replaced prog id " + std::to_string(attachment->replaced_prog_id())
                             : "";
  spdlog::info("anycastd started: interface {} (xdp {}, prog id {}{}), VIPs {}; services {}", nic.name,
               to_string(attachment->mode()), attachment->prog_id(), replaced, join_vips(aliases),
               join_services(config));

  int interval_ms = config.log.stats_interval_s ? static_cast<int>(config.log.stats_interval_s) * 1000 : -1;
  ac_stats last_logged{};
  for (;;) {
    int signal = signals.wait(interval_ms);
    if (signal == 0) {
      // An idle server does not fill the log with the same numbers.
      ac_stats now = program->read_stats();
      if (std::memcmp(&now, &last_logged, sizeof now) != 0) log_stats(now, "counters");
      last_logged = now;
    } else if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading the configuration is not implemented yet (it comes with the control plane); "
                   "nothing changed");
    } else {
      spdlog::info("{}: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }

  // Withdraw first (the VIPs leave the loopback), then stop answering, then detach: a router that
  // still sends for a moment gets answers rather than silence.
  while (!aliases.empty()) aliases.pop_back();
  program->set_answering(false);
  attachment.reset();
  log_stats(program->read_stats(), "final counters");
  spdlog::info("anycastd stopped");
  return 0;
}

}  // namespace

int run_daemon(const Config& config) {
  if (std::string problem = capability_problem(); !problem.empty()) {
    spdlog::critical("{}", problem);
    return 1;
  }
  try {
    // Blocked before anything is created, so a SIGTERM during start-up waits for a clean start
    // and is then handled as a normal stop.
    SignalFd signals({SIGTERM, SIGINT, SIGHUP});
    return serve(config, signals);
  } catch (const std::exception& e) {
    // Failures while running or stopping; RAII has undone what it could.
    spdlog::critical("anycastd failed: {}", e.what());
    return 1;
  }
}

}  // namespace anycastd
