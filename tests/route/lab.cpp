// SPDX-License-Identifier: Apache-2.0
#include "lab.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace route_lab {

CommandResult run(const std::string& command) {
  CommandResult result;
  std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return result;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  int status = ::pclose(p);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string must(const std::string& command) {
  CommandResult r = run(command);
  if (r.status != 0)
    throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + command + "\n" + r.output);
  return r.output;
}

std::string unique_name(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  return "acr-" + std::to_string(::getpid()) + "-" + tag + std::to_string(counter++);
}

namespace {

// Alive, and not a zombie: a test killed a moment ago may not have been reaped yet.
bool process_alive(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

}  // namespace

void sweep_stale_labs() {
  std::istringstream names(run("ip netns list").output);
  for (std::string line; std::getline(names, line);) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind("acr-", 0) != 0) continue;
    auto dash = name.find('-', 4);
    if (dash == std::string::npos) continue;
    std::string pid = name.substr(4, dash - 4);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(pid)) continue;  // its test is still running
    run("for p in $(ip netns pids " + name + "); do kill -9 $p; done");
    run("ip netns del " + name);
  }
  std::istringstream dirs(run("ls -d /tmp/anycastd-route-*-* 2>/dev/null").output);
  for (std::string dir; std::getline(dirs, dir);) {
    std::string rest = dir.substr(std::string("/tmp/anycastd-route-").size());
    std::string pid = rest.substr(0, rest.find('-'));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || process_alive(pid)) continue;
    run("rm -rf '" + dir + "'");
  }
}

bool have_program(const std::string& name) { return run("command -v " + name).status == 0; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("template text not found: \"" + from + "\"");
  for (; at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit, std::chrono::milliseconds step) {
  auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(step);
  }
}

TempDir::TempDir() {
  // The pid in the name lets sweep_stale_labs() tell a dead run's directory from a live one's.
  std::string tmpl = "/tmp/anycastd-route-" + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (::getenv("ANYCASTD_KEEP_LAB")) return;  // for looking at daemon logs after a failure
  run("rm -rf '" + path_ + "'");
}

Netns::Netns(std::string name) : name_(std::move(name)) {
  must("ip netns add " + name_);
  try {
    must(ip("link set lo up"));
  } catch (...) {
    run("ip netns del " + name_);
    throw;
  }
}

Netns::~Netns() {
  // Anything left running in the namespace is one of this test's daemons.
  run("for p in $(ip netns pids " + name_ + "); do kill -9 $p; done");
  run("ip netns del " + name_);
}

std::string Netns::ip(const std::string& args) const { return "ip -n " + name_ + " " + args; }

Child::Child(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::string>& extra_env) {
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot open " + log_path);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    for (const std::string& kv : extra_env) ::putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  ::setpgid(pid_, pid_);  // also from here, so that it holds before the child gets to run
}

bool Child::running() {
  if (reaped_) return false;
  int status;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

void Child::stop() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGTERM);
  bool gone = wait_until([&] { return !running(); }, std::chrono::milliseconds(2000), std::chrono::milliseconds(10));
  if (!gone) {
    ::kill(-pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }
  ::kill(-pid_, SIGKILL);  // helpers it started in its group (ExaBGP's pipe helper)
}

Child::~Child() { stop(); }

}  // namespace route_lab
