// SPDX-License-Identifier: Apache-2.0
#include "route/route_signal.h"

#include <fmt/format.h>

namespace anycastd {

std::string_view to_string(Announced a) {
  switch (a) {
    case Announced::yes: return "announced";
    case Announced::no: return "withdrawn";
    case Announced::partly: return "partly announced";
    case Announced::unknown: return "unknown";
  }
  return "?";
}

std::string SignalStatus::summary() const {
  std::string out = fmt::format("{} {}: ", to_string(kind), target);
  if (!contacted && last_probe_at == std::chrono::steady_clock::time_point{})
    return out + "not contacted yet";
  out += reachable ? "reachable" : "unreachable";
  if (!contacted) return out + ", no command sent yet";
  out += fmt::format(", last command {} ({}, {} ms)", last_ok ? "ok" : "FAILED", last_command,
                     last_duration.count());
  if (!last_detail.empty()) out += ": " + last_detail;
  if (failures) out += fmt::format(" [{} of {} commands failed]", failures, commands);
  return out;
}

RouteSignal::RouteSignal(SignalKind kind, std::string target) {
  status_.kind = kind;
  status_.target = std::move(target);
}

std::vector<std::string> RouteSignal::config_problems(const RouteGroup&) const { return {}; }

SignalStatus RouteSignal::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void RouteSignal::run_recorded(std::string_view name, const std::function<std::string()>& command) {
  auto started = std::chrono::steady_clock::now();
  auto finish = [&](bool ok, std::string detail, bool reached) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(status_mutex_);
    status_.contacted = true;
    status_.reachable = reached;
    status_.last_ok = ok;
    status_.last_command = name;
    status_.last_detail = std::move(detail);
    status_.last_at = now;
    status_.last_duration = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
    ++status_.commands;
    if (ok) {
      status_.consecutive_failures = 0;
    } else {
      ++status_.failures;
      ++status_.consecutive_failures;
    }
  };
  try {
    finish(true, command(), true);
  } catch (const RouteSignalRefused& e) {
    finish(false, e.what(), true);
    throw;
  } catch (const RouteSignalError& e) {
    finish(false, e.what(), false);
    throw;
  }
}

void RouteSignal::record_probe(bool reachable) {
  std::lock_guard lock(status_mutex_);
  status_.reachable = reachable;
  status_.last_probe_at = std::chrono::steady_clock::now();
}

}  // namespace anycastd
