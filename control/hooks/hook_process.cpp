// SPDX-License-Identifier: Apache-2.0
#include "hooks/hook_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/posix_io.h"

namespace anycastd {
namespace {

using Steady = std::chrono::steady_clock;

int remaining_ms(Steady::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Steady::now()).count();
  return left > 0 ? static_cast<int>(std::min<long long>(left, 60'000)) : 0;
}

// Reads what the pipe has now into `out`; returns false at end of file.
bool take_output(int fd, std::size_t keep, HookOutcome& out) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    std::size_t room = keep > out.output.size() ? keep - out.output.size() : 0;
    std::size_t kept = std::min(room, static_cast<std::size_t>(n));
    out.output.append(buf, kept);
    out.dropped += static_cast<std::size_t>(n) - kept;
  }
}

// Owns the spawn attributes and file actions for the length of one posix_spawn.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::string HookOutcome::describe(Millis timeout) const {
  switch (end) {
    case End::exited: return "exit " + std::to_string(code);
    case End::signalled: return "killed by signal " + std::to_string(code);
    case End::timed_out: return "timed out after " + std::to_string(timeout.count()) + " ms: process group killed";
    case End::not_started: return "not started: " + error;
  }
  return "?";
}

HookOutcome run_hook(const std::vector<std::string>& argv, const std::vector<std::string>& env, Millis timeout,
                     std::size_t keep) {
  HookOutcome out;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  posix_io::UniqueFd read_end(fds[0]), write_end(fds[1]);
  fcntl(read_end.get(), F_SETFL, O_NONBLOCK);

  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDERR_FILENO);
  // Not every descriptor of the daemon is CLOEXEC-safe from a thread's point of view (one opened
  // by another thread between its open and its fcntl); closing them all in the child is.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  if (int rc = posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), envp.data()); rc != 0) {
    out.error = std::strerror(rc);
    return out;
  }
  write_end.reset();
  const auto deadline = Steady::now() + timeout;

  posix_io::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  bool exited = false, open = true;
  if (pidfd) {
    while (!exited && Steady::now() < deadline) {
      pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {open ? read_end.get() : -1, POLLIN, 0}};
      if (poll(p, 2, remaining_ms(deadline)) < 0 && errno != EINTR) break;
      if (p[1].revents) open = take_output(read_end.get(), keep, out);
      exited = p[0].revents & POLLIN;
    }
  }
  if (!exited) {
    out.end = HookOutcome::End::timed_out;
    kill(-pid, SIGTERM);
    const auto grace = Steady::now() + kKillGrace;
    while (pidfd && !exited && Steady::now() < grace) {
      pollfd p[2] = {{pidfd.get(), POLLIN, 0}, {open ? read_end.get() : -1, POLLIN, 0}};
      if (poll(p, 2, remaining_ms(grace)) < 0 && errno != EINTR) break;
      if (p[1].revents) open = take_output(read_end.get(), keep, out);
      exited = p[0].revents & POLLIN;
    }
  }
  // The leader is a zombie (or still running past the grace): its process group id is still
  // its own, whatever else it left running.
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Every writer is gone now, bar a process that left the group on purpose (setsid): the pipe is
  // read to its end, or to what is there if such a process still holds it.
  while (open) {
    pollfd p{read_end.get(), POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;
    open = take_output(read_end.get(), keep, out);
  }
  if (!pidfd) {
    out.end = HookOutcome::End::not_started;
    out.error = "pidfd_open failed, so its run could not be bounded: killed at once";
    return out;
  }
  if (out.end == HookOutcome::End::timed_out) return out;
  if (WIFEXITED(status)) {
    out.end = HookOutcome::End::exited;
    out.code = WEXITSTATUS(status);
  } else {
    out.end = HookOutcome::End::signalled;
    out.code = WTERMSIG(status);
  }
  return out;
}

}  // namespace anycastd
