// SPDX-License-Identifier: Apache-2.0
#include "route/bounded_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/posix_io.h"

namespace anycastd {

using posix_io::UniqueFd;

std::string CommandOutcome::describe(std::chrono::milliseconds timeout) const {
  switch (end) {
    case End::exited: return "exit " + std::to_string(exit_code);
    case End::signalled: return "killed by signal " + std::to_string(signal);
    case End::timed_out: return "timed out after " + std::to_string(timeout.count()) + " ms, process group killed";
    case End::not_started: return err;
  }
  return "?";
}

namespace {

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end = UniqueFd(fds[0]);
  write_end = UniqueFd(fds[1]);
  return true;
}

}  // namespace

CommandOutcome run_bounded(const std::vector<std::string>& argv, std::chrono::steady_clock::time_point deadline,
                           std::size_t output_limit) {
  CommandOutcome r;
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
    r.err = "cannot run \"" + (argv.empty() ? std::string() : argv[0]) + "\": not an absolute path";
    return r;
  }
  // Everything the child needs is prepared before fork(): after it, in a threaded daemon, the
  // child may only make async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  UniqueFd out_r, out_w, err_r, err_w, exec_r, exec_w;
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w) || !make_pipe(exec_r, exec_w)) {
    r.err = "cannot run " + argv[0] + ": pipe: " + posix_io::errno_text(errno);
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) {
    r.err = "cannot run " + argv[0] + ": fork: " + posix_io::errno_text(errno);
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out_w.get(), STDOUT_FILENO);
    dup2(err_w.get(), STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    execv(args[0], args.data());
    // The exec pipe is close-on-exec: the parent reads EOF on success, errno on failure.
    int e = errno;
    (void)!write(exec_w.get(), &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever of parent and child runs first sets it
  out_w.reset();
  err_w.reset();
  exec_w.reset();

  int exec_errno = 0;
  ssize_t n;
  do n = read(exec_r.get(), &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    waitpid(pid, nullptr, 0);
    r.err = "cannot run " + argv[0] + ": " + posix_io::errno_text(exec_errno);
    return r;
  }

  // A pidfd tells the exit apart from the pipes' EOF: a grandchild may hold them open.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  bool exited = false, timed_out = false;
  UniqueFd* streams[2] = {&out_r, &err_r};
  std::string* sinks[2] = {&r.out, &r.err};
  while (!exited || *streams[0] || *streams[1]) {
    pollfd fds[3];
    int count = 0;
    int which[3];
    for (int i = 0; i < 2; ++i)
      if (*streams[i]) {
        fds[count] = {streams[i]->get(), POLLIN, 0};
        which[count++] = i;
      }
    if (!exited && pidfd) {
      fds[count] = {pidfd.get(), POLLIN, 0};
      which[count++] = 2;
    }
    if (count == 0) break;
    int ready = poll(fds, count, static_cast<int>(posix_io::remaining_ms(deadline)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = true;
      break;
    }
    for (int k = 0; k < count; ++k) {
      if (!fds[k].revents) continue;
      if (which[k] == 2) {
        exited = true;
        // Whatever the child left running in its group goes now; the pipes then reach EOF.
        kill(-pid, SIGKILL);
        continue;
      }
      char buf[4096];
      ssize_t got = read(fds[k].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        streams[which[k]]->reset();
        continue;
      }
      std::string& sink = *sinks[which[k]];
      std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(got), output_limit - std::min(output_limit, sink.size()));
      sink.append(buf, keep);
      if (keep < static_cast<std::size_t>(got)) r.truncated = true;
    }
  }
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    r.end = CommandOutcome::End::timed_out;
  } else if (WIFEXITED(status)) {
    r.end = CommandOutcome::End::exited;
    r.exit_code = WEXITSTATUS(status);
  } else {
    r.end = CommandOutcome::End::signalled;
    r.signal = WTERMSIG(status);
  }
  return r;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace anycastd
