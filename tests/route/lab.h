// SPDX-License-Identifier: Apache-2.0
#pragma once

// Throwaway network-namespace labs for the route-signal tests: namespaces, veth links, temporary
// directories and daemons, each owned by an object that removes it on destruction, so a failed
// assertion (which returns from the test body) still leaves nothing behind. Every name carries
// the test process's pid, so parallel runs do not collide.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace route_lab {

// Runs `command` with /bin/sh, stderr folded into the output.
struct CommandResult {
  int status = -1;  // exit code, or -1
  std::string output;
};
CommandResult run(const std::string& command);
// run(), throwing std::runtime_error with the command and its output unless it exits 0.
std::string must(const std::string& command);

// "acr-<pid>-<tag><n>": unique per process and call. For namespaces and pipe names (interfaces
// live inside the namespaces and need no unique names).
std::string unique_name(const std::string& tag);

// Deletes the namespaces (and kills what runs in them) and the temporary directories of earlier
// test processes that are gone: what a run killed before its destructors ran (a CTest timeout)
// left behind. Those of live processes are not touched.
void sweep_stale_labs();

bool have_program(const std::string& name);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
// Replaces every `from` with `to`; throws if `from` does not occur, so a template that drifted
// from the example it is made from fails loudly instead of testing something else.
std::string replace_all(std::string text, const std::string& from, const std::string& to);

// Polls `done` every `step` until it is true or `limit` passed. Returns whether it became true.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit,
                std::chrono::milliseconds step = std::chrono::milliseconds(2));

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A network namespace with its loopback up. Destruction kills what still runs in it (only the
// test's own daemons can be there) and deletes it.
class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }
  // "ip -n NAME " + args
  std::string ip(const std::string& args) const;

 private:
  std::string name_;
};

// A child process (its own process group), stdout and stderr to `log_path`. Destruction sends
// SIGTERM, waits up to two seconds, then SIGKILL, and reaps it.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_path,
        const std::vector<std::string>& extra_env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool running();
  void stop();

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace route_lab
