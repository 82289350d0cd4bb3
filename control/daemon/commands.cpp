// SPDX-License-Identifier: Apache-2.0
#include "daemon/commands.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <stdexcept>

#include "config/config.h"
#include "ctl/status_json.h"
#include "daemon/dns_table_loader.h"
#include "daemon/nic_reports.h"
#include "nic/nic_json.h"

namespace anycastd {
namespace {

// The NIC report rides along in the status: a few ioctls and one netlink exchange per interface.
nlohmann::json status(const CommandTarget& daemon) {
  DaemonStatus snapshot = daemon.snapshot();
  nlohmann::json reply = ctl::ok_reply();
  reply["status"] = ctl::status_to_json(snapshot);
  reply["status"]["nic"] = nic::to_json(nic_reports(snapshot));
  return reply;
}

nlohmann::json nic_report(const CommandTarget& daemon) {
  nlohmann::json reply = ctl::ok_reply();
  reply["nic"] = nic::to_json(nic_reports(daemon.snapshot()));
  return reply;
}

// drain, undrain and check: on the groups the request names, or all of them.
nlohmann::json on_groups(CommandTarget& daemon, const ctl::Request& request) {
  std::vector<std::string> names = daemon.group_names();
  std::vector<std::string> chosen;
  for (std::size_t i : ctl::select_groups(request, names)) chosen.push_back(names[i]);
  std::set<std::string>& drained = daemon.drained();
  if (request.command == ctl::Command::check) {
    for (const std::string& name : chosen) daemon.check_now(name);
  } else if (request.command == ctl::Command::drain) {
    // "all" is kept as such: it drains the groups a later reload adds too. A soft drain is
    // kept as "NAME:soft" (a group name has no colon), so it crosses a restart like the others;
    // a hard drain of a softly drained group replaces it (the routes go now).
    std::string suffix = request.soft ? ":soft" : "";
    if (request.all_groups()) drained.insert("all" + suffix);
    for (const auto& n : chosen) drained.insert(n + suffix);
  } else {
    if (request.all_groups()) drained.clear();
    for (const auto& n : chosen) {
      drained.erase(n);
      drained.erase(n + ":soft");
    }
    if (!request.all_groups() && (drained.count("all") || drained.count("all:soft")))
      throw ctl::RequestError("every group is drained (drain all): undrain all first");
  }
  nlohmann::json reply = ctl::ok_reply(request.group + ": " + std::string(ctl::to_string(request.command)) +
                                       (request.command == ctl::Command::check ? " scheduled" : "ed"));
  reply["groups"] = chosen;
  return reply;
}

nlohmann::json reload(CommandTarget& daemon) {
  if (daemon.stopping()) throw ctl::RequestError("stopping: no reload");
  if (Refusal rejected = daemon.reload())
    throw ctl::RequestError("reload rejected, the running configuration stays: " + rejected.why());
  return ctl::ok_reply("configuration reloaded from " + daemon.config_path());
}

nlohmann::json restart(CommandTarget& daemon) {
  if (daemon.stopping()) throw ctl::RequestError("stopping: no restart");
  // The new image starts from the file: one that does not load would end the daemon and
  // leave the routes and answers out with nothing checking them.
  try {
    Config next = load_config(daemon.config_path());
    if (std::string refusal = shipped_default_refusal(next, daemon.config_path()); !refusal.empty())
      throw ConfigError(refusal);
    if (const ServiceConfig* dns = dns_service(next); dns && !dns->dns.zones.empty()) compile_dns(dns->dns.zones);
  } catch (const std::runtime_error& e) {  // ConfigError, dns::ZoneError
    spdlog::error("restart refused, the running instance stays: {}", e.what());
    throw ctl::RequestError("restart refused, the running instance stays: " + std::string(e.what()));
  }
  daemon.request_restart();
  return ctl::ok_reply("restarting in place (pid " + std::to_string(getpid()) + ")");
}

}  // namespace

ctl::Reply handle_command(CommandTarget& daemon, const ctl::Request& request) {
  switch (request.command) {
    case ctl::Command::status: return status(daemon);
    case ctl::Command::drain:
    case ctl::Command::undrain:
    case ctl::Command::check: return on_groups(daemon, request);
    case ctl::Command::reload: return reload(daemon);
    case ctl::Command::restart: return restart(daemon);
    case ctl::Command::nic: return nic_report(daemon);
    case ctl::Command::capture: return daemon.capture(request);
  }
  throw ctl::RequestError("unhandled command");
}

}  // namespace anycastd
