// SPDX-License-Identifier: Apache-2.0
#include "daemon/handover.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/own_binary.h"
#include "base/version.h"

namespace anycastd {
namespace {

constexpr const char* kDrainedEnv = "ANYCASTD_DRAINED";
constexpr const char* kControlFdEnv = "ANYCASTD_CONTROL_FD";
constexpr const char* kMetricsFdEnv = "ANYCASTD_METRICS_FD";
constexpr const char* kPreviousVersionEnv = "ANYCASTD_PREVIOUS_VERSION";
constexpr const char* kDampeningEnv = "ANYCASTD_DAMPENING";

posix_io::UniqueFd take_fd(const char* env, bool adopt) {
  const char* text = std::getenv(env);
  posix_io::UniqueFd fd;
  if (text && adopt) {
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    if (end == text || *end || n < 3 || n > 65535 || ::fcntl(static_cast<int>(n), F_SETFD, FD_CLOEXEC) < 0)
      spdlog::warn("{}={}: not an open descriptor; listening anew", env, text);
    else
      fd = posix_io::UniqueFd(static_cast<int>(n));
  }
  unsetenv(env);
  return fd;
}

}  // namespace

std::string penalties_text(const std::map<std::string, HandedPenalty>& penalties) {
  std::string out;
  for (const auto& [name, p] : penalties)
    out += fmt::format("{}{}={:.3f}:{}", out.empty() ? "" : ",", name, p.penalty, p.suppressed ? 1 : 0);
  return out;
}

std::map<std::string, HandedPenalty> parse_penalties(std::string_view text) {
  std::map<std::string, HandedPenalty> out;
  while (!text.empty()) {
    std::size_t comma = std::min(text.find(','), text.size());
    std::string_view entry = text.substr(0, comma);
    text.remove_prefix(std::min(comma + 1, text.size()));
    std::size_t eq = entry.find('='), colon = entry.rfind(':');
    HandedPenalty p;
    bool ok = eq != std::string_view::npos && eq > 0 && colon != std::string_view::npos && colon > eq;
    if (ok) {
      std::string number(entry.substr(eq + 1, colon - eq - 1));
      char* end = nullptr;
      p.penalty = std::strtod(number.c_str(), &end);
      std::string_view flag = entry.substr(colon + 1);
      ok = !number.empty() && *end == 0 && std::isfinite(p.penalty) && p.penalty >= 0 && (flag == "0" || flag == "1");
      p.suppressed = flag == "1";
    }
    if (!ok) {
      spdlog::warn("{}: \"{}\" is not NAME=PENALTY:0|1; that group starts without a penalty", kDampeningEnv, entry);
      continue;
    }
    out[std::string(entry.substr(0, eq))] = p;
  }
  return out;
}

Handover take_handover(bool adopt) {
  Handover h;
  if (const char* carried = std::getenv(kDrainedEnv); carried && adopt) {
    std::string list = carried;
    for (std::size_t at = 0; at < list.size();) {
      std::size_t comma = std::min(list.find(',', at), list.size());
      if (comma > at) h.drained.insert(list.substr(at, comma - at));
      at = comma + 1;
    }
    if (!list.empty()) spdlog::info("drained by anycastctl before the restart, still drained: {}", list);
  }
  unsetenv(kDrainedEnv);
  if (const char* carried = std::getenv(kDampeningEnv); carried && adopt) {
    h.penalties = parse_penalties(carried);
    if (!h.penalties.empty()) spdlog::info("dampening penalties from before the restart: {}", carried);
  }
  unsetenv(kDampeningEnv);
  if (const char* previous = std::getenv(kPreviousVersionEnv); previous && adopt) h.previous_version = previous;
  unsetenv(kPreviousVersionEnv);
  h.control = take_fd(kControlFdEnv, adopt);
  h.metrics = take_fd(kMetricsFdEnv, adopt);
  return h;
}

std::string exec_in_place(const std::vector<std::string>& argv_in, const std::set<std::string>& drained,
                          const std::map<std::string, HandedPenalty>& penalties, int control_listener,
                          int metrics_listener) {
  std::vector<std::string> args = argv_in;
  if (std::find(args.begin(), args.end(), "--adopt") == args.end()) args.push_back("--adopt");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::string drained_env = std::string(kDrainedEnv) + "=";
  for (const std::string& name : drained) drained_env += (drained_env.back() == '=' ? "" : ",") + name;
  std::vector<std::string> handed;
  // Without its close-on-exec flag a listener lives on in the next image; where clearing it
  // fails, the next image listens anew (and clients may be refused for a moment).
  auto hand = [&](const char* env, int fd) {
    if (fd >= 0 && ::fcntl(fd, F_SETFD, 0) == 0) handed.push_back(std::string(env) + "=" + std::to_string(fd));
  };
  hand(kControlFdEnv, control_listener);
  hand(kMetricsFdEnv, metrics_listener);
  std::vector<char*> envp;
  auto ours = [](const char* e) {
    for (const char* name : {kDrainedEnv, kDampeningEnv, kControlFdEnv, kMetricsFdEnv, kPreviousVersionEnv})
      if (std::strncmp(e, name, std::strlen(name)) == 0 && e[std::strlen(name)] == '=') return true;
    return false;
  };
  for (char** e = environ; *e; ++e)
    if (!ours(*e)) envp.push_back(*e);
  envp.push_back(drained_env.data());
  std::string dampening_env = std::string(kDampeningEnv) + "=" + penalties_text(penalties);
  envp.push_back(dampening_env.data());
  std::string version_env = std::string(kPreviousVersionEnv) + "=" + std::string(version());
  envp.push_back(version_env.data());
  for (std::string& h : handed) envp.push_back(h.data());
  envp.push_back(nullptr);
  // No destructor runs across exec: nothing is withdrawn, removed or detached. Every other fd
  // held is close-on-exec, so the successor re-creates its locks and sockets.
  // The path resolved at start, not /proc/self/exe: after a package upgrade that is the old,
  // deleted image, and the restart would bring the old version back.
  const std::string& binary = own_binary();
  if (binary.empty()) return "the path of anycastd's binary is unknown (/proc was not mounted at start)";
  spdlog::info("restarting in place: exec {} (this image: anycastd {})", binary, version());
  spdlog::default_logger()->flush();
  execve(binary.c_str(), argv.data(), envp.data());
  return binary + ": " + std::strerror(errno);
}

}  // namespace anycastd
