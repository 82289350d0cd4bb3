// SPDX-License-Identifier: Apache-2.0
#include "route/exabgp_pipe.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "route/route_signal.h"

namespace anycastd {

using posix_io::UniqueFd;

void ExabgpAnswerReader::feed(std::string_view data) {
  for (;;) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(data);
      return;
    }
    partial_.append(data.substr(0, nl));
    std::string text = std::move(partial_);
    partial_.clear();
    data.remove_prefix(nl + 1);
    line(text);
  }
}

void ExabgpAnswerReader::line(std::string_view text) {
  bool verdict = text == "done" || text == "error" || text == "shutdown";
  if (!fenced_) {
    if (result_.version.empty()) {
      if (text.rfind("exabgp ", 0) == 0)
        result_.version = text;
      else
        ++result_.stale_lines;
    } else if (text == "done") {
      fenced_ = true;
    } else {
      // Something between the version line and its "done" cannot be ours: the version line was
      // itself a left-over. Look for the fence again.
      result_.stale_lines += 2;
      result_.version.clear();
      if (text.rfind("exabgp ", 0) == 0) {
        result_.version = text;
        --result_.stale_lines;
      }
    }
    return;
  }
  if (verdict) {
    current_.verdict = text;
    result_.answers.push_back(std::move(current_));
    current_ = {};
  } else {
    current_.output.emplace_back(text);
  }
}

ExabgpPipe::ExabgpPipe(std::string base) : base_(std::move(base)) {}

namespace {

UniqueFd open_fifo(const std::string& path, int flags, const std::string& base, bool command_side) {
  UniqueFd fd(::open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT)
      throw RouteSignalError(fmt::format(
          "ExaBGP pipe {} does not exist: ExaBGP talks over {}.in and {}.out, which must be made with mkfifo "
          "before ExaBGP starts (Debian's exabgp.service makes /run/exabgp/exabgp.{{in,out}})",
          path, base, base));
    if (err == ENXIO && command_side)
      throw RouteSignalError(fmt::format(
          "nobody reads ExaBGP pipe {}: ExaBGP is not running, or did not find the pipes when it started "
          "(it only looks then, as exabgp.api.pipename under /run/exabgp/ and the like)",
          path));
    throw RouteSignalError(fmt::format("ExaBGP pipe {}: {}", path, posix_io::errno_text(err)));
  }
  struct stat st{};
  if (fstat(fd.get(), &st) == 0 && !S_ISFIFO(st.st_mode))
    throw RouteSignalError(fmt::format("ExaBGP pipe {} is not a named pipe (FIFO)", path));
  return fd;
}

}  // namespace

ExabgpExchange ExabgpPipe::exchange(const std::vector<std::string>& commands, std::chrono::milliseconds timeout) {
  auto deadline = posix_io::deadline_in(timeout);
  std::string payload = "version\n";
  for (const std::string& c : commands) {
    if (c.empty() || c.find_first_of("\r\n") != std::string::npos)
      throw RouteSignalError(fmt::format("ExaBGP command empty or with a line break: \"{}\"", c));
    payload += c;
    payload += '\n';
  }

  // The answer side first, so that nothing ExaBGP writes for these commands finds no reader.
  // Opened read-write: we then count as a writer too, so the FIFO never reports end-of-file
  // between ExaBGP's one-line opens and poll() waits instead of spinning.
  UniqueFd answers = open_fifo(out_path(), O_RDWR, base_, false);
  UniqueFd to_exabgp = open_fifo(in_path(), O_WRONLY, base_, true);
  if (Refusal err = posix_io::write_all(to_exabgp.get(), payload, deadline))
    throw RouteSignalError(fmt::format("ExaBGP pipe {}: sending commands: {}", in_path(), err.why()));
  to_exabgp.reset();

  ExabgpAnswerReader reader(commands.size());
  char buf[8192];
  while (!reader.complete()) {
    ssize_t n = ::read(answers.get(), buf, sizeof buf);
    if (n > 0) {
      reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      throw RouteSignalError(fmt::format("ExaBGP pipe {}: {}", out_path(), posix_io::errno_text(errno)));
    if (posix_io::wait_fd(answers.get(), POLLIN, deadline) != 0) continue;

    if (!reader.saw_version())
      throw RouteSignalError(fmt::format(
          "no answer from ExaBGP on {} within {} ms (ExaBGP stuck, or the pipes belong to an ExaBGP that is gone)",
          out_path(), timeout.count()));
    if (!reader.fenced())
      throw RouteSignalError(fmt::format(
          "ExaBGP on {} answered `version` without \"done\": exabgp.api.ack is off, and anycastd needs it on",
          out_path()));
    throw RouteSignalError(fmt::format("ExaBGP on {} acknowledged {} of {} commands within {} ms", out_path(),
                                       reader.result().answers.size(), commands.size(), timeout.count()));
  }
  if (reader.result().stale_lines)
    spdlog::debug("exabgp {}: discarded {} left-over answer lines", base_, reader.result().stale_lines);
  return std::move(reader.result());
}

}  // namespace anycastd
