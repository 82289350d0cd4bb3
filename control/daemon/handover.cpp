// SPDX-License-Identifier: Apache-2.0
#include "daemon/handover.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  if (const char* previous = std::getenv(kPreviousVersionEnv); previous && adopt) h.previous_version = previous;
  unsetenv(kPreviousVersionEnv);
  h.control = take_fd(kControlFdEnv, adopt);
  h.metrics = take_fd(kMetricsFdEnv, adopt);
  return h;
}

std::string exec_in_place(const std::vector<std::string>& argv_in, const std::set<std::string>& drained,
                          int control_listener, int metrics_listener) {
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
    for (const char* name : {kDrainedEnv, kControlFdEnv, kMetricsFdEnv, kPreviousVersionEnv})
      if (std::strncmp(e, name, std::strlen(name)) == 0 && e[std::strlen(name)] == '=') return true;
    return false;
  };
  for (char** e = environ; *e; ++e)
    if (!ours(*e)) envp.push_back(*e);
  envp.push_back(drained_env.data());
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
