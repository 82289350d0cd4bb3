// SPDX-License-Identifier: Apache-2.0
#include "status/stats_log.h"

#include <spdlog/spdlog.h>

namespace anycastd {

std::vector<std::string> describe_stats(const ac_stats& stats) {
  std::vector<std::string> lines;
  auto add = [&](const char* kind, const std::string& items) {
    if (!items.empty()) lines.push_back(std::string(kind) + ":" + items);
  };

  std::string actions, passed, answered, limited;
  for (int i = 0; i < AC_ACT__COUNT; ++i)
    if (stats.action[i]) actions += " " + std::string(ac_action_names[i]) + "=" + std::to_string(stats.action[i]);
  for (int i = 0; i < AC_PASS__COUNT; ++i)
    if (stats.pass[i]) passed += " " + std::string(ac_pass_reason_names[i]) + "=" + std::to_string(stats.pass[i]);
  for (int i = 0; i < AC_SVC__COUNT; ++i)
    if (stats.answered[i])
      answered += " " + std::string(ac_service_names[i]) + "=" + std::to_string(stats.answered[i]) + " (" +
                  std::to_string(stats.answered_bytes[i]) + " bytes)";

  for (int i = 0; i < AC_SVC__COUNT; ++i)
    if (stats.rate_limited[i]) limited += " " + std::string(ac_service_names[i]) + "=" + std::to_string(stats.rate_limited[i]);

  add("actions", actions);
  add("passed", passed);
  add("answered", answered);
  add("rate_limited", limited);
  if (lines.empty()) lines.push_back("no packets seen");
  return lines;
}

void log_stats(const ac_stats& stats, std::string_view heading) {
  for (const std::string& line : describe_stats(stats)) spdlog::info("{}: {}", heading, line);
}

}  // namespace anycastd
