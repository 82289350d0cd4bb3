// SPDX-License-Identifier: Apache-2.0
#include "route/bird_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "route/route_signal.h"

namespace anycastd {

using posix_io::Deadline;
using posix_io::UniqueFd;

bool BirdReply::error() const {
  for (const BirdLine& l : lines)
    if (l.code >= 8000) return true;
  return code >= 8000;
}

std::string BirdReply::text() const {
  std::string out;
  for (const BirdLine& l : lines) {
    if (l.text.empty()) continue;
    if (!out.empty()) out += "; ";
    out += l.text;
  }
  return out;
}

std::vector<std::string> BirdReply::rows(int wanted) const {
  std::vector<std::string> out;
  for (const BirdLine& l : lines)
    if (l.code == wanted) out.push_back(l.text);
  return out;
}

std::size_t BirdReplyParser::feed(std::string_view data) {
  std::size_t used = 0;
  while (!done_ && used < data.size()) {
    auto nl = data.find('\n', used);
    std::size_t end = nl == std::string_view::npos ? data.size() : nl;
    partial_.append(data.substr(used, end - used));
    bytes_ += end - used;
    if (bytes_ > kMaxReplyBytes)
      throw RouteSignalError(fmt::format("BIRD's reply is longer than {} bytes", kMaxReplyBytes));
    if (nl == std::string_view::npos) return data.size();
    used = nl + 1;
    ++bytes_;
    std::string text = std::move(partial_);
    partial_.clear();
    line(text);
  }
  return used;
}

void BirdReplyParser::line(std::string_view text) {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() >= 5 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
      is_digit(text[3]) && (text[4] == ' ' || text[4] == '-')) {
    int code = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    reply_.lines.push_back({code, std::string(text.substr(5))});
    if (text[4] == ' ') {
      reply_.code = code;
      done_ = true;
    }
    return;
  }
  if (!text.empty() && text[0] == ' ') {
    // BIRD leaves out the code of a line that has the same code as the one before.
    int code = reply_.lines.empty() ? 0 : reply_.lines.back().code;
    reply_.lines.push_back({code, std::string(text.substr(1))});
    return;
  }
  if (!text.empty() && text[0] == '+') return;  // asynchronous message, not part of the reply
  throw RouteSignalError(fmt::format("not BIRD's control protocol: line \"{}\"", text.substr(0, 80)));
}

BirdReply BirdReplyParser::take() {
  BirdReply out = std::move(reply_);
  reply_ = {};
  partial_.clear();
  bytes_ = 0;
  done_ = false;
  return out;
}

BirdSession::BirdSession(std::string socket_path, Deadline deadline)
    : path_(std::move(socket_path)), deadline_(deadline) {
  auto fail = [&](const std::string& why) {
    throw RouteSignalError(fmt::format("BIRD control socket {}: {}", path_, why));
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof addr.sun_path) fail("path empty or too long for a unix socket");
  std::memcpy(addr.sun_path, path_.data(), path_.size());

  fd_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_) fail("socket: " + posix_io::errno_text(errno));
  for (;;) {
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      // BIRD's listen queue is full (BIRD busy or stuck). A unix-socket connect does not go on in
      // the background like TCP's: try again until the deadline.
      if (posix_io::remaining_ms(deadline_) == 0) fail("connect timed out: BIRD is not accepting connections");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (err == ENOENT) fail("no such socket (is BIRD running, with -s pointing here?)");
    if (err == ECONNREFUSED) fail("connection refused (BIRD is not running; the socket file is left over)");
    if (err == EACCES) fail("permission denied (BIRD's socket is for root or the bird group)");
    fail("connect: " + posix_io::errno_text(err));
  }
  BirdReply hello = read_reply("greeting");
  if (hello.code != 1 || hello.lines.size() != 1 || hello.lines[0].text.rfind("BIRD", 0) != 0)
    fail(fmt::format("unexpected greeting \"{}\" (not BIRD, or BIRD refusing: {})", hello.text(), hello.code));
  greeting_ = hello.lines[0].text;
}

BirdReply BirdSession::command(std::string_view line) {
  if (line.find_first_of("\r\n") != std::string_view::npos)
    throw RouteSignalError(fmt::format("BIRD command with a line break: \"{}\"", line));
  std::string out(line);
  out += '\n';
  if (Refusal err = posix_io::send_all(fd_.get(), out, deadline_))
    throw RouteSignalError(fmt::format("BIRD control socket {}: sending \"{}\": {}", path_, line, err.why()));
  return read_reply(fmt::format("the reply to \"{}\"", line));
}

BirdReply BirdSession::read_reply(std::string_view what) {
  auto failure = [&](const std::string& why) {
    return RouteSignalError(fmt::format("BIRD control socket {}: {} {}", path_, what, why));
  };
  auto feed = [&](std::string_view chunk) {
    try {
      return parser_.feed(chunk);
    } catch (const RouteSignalError& e) {
      throw failure(std::string("is garbled: ") + e.what());
    }
  };
  if (!pending_.empty()) pending_.erase(0, feed(pending_));
  char buf[8192];
  while (!parser_.done()) {
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      std::string_view chunk(buf, static_cast<std::size_t>(n));
      pending_.append(chunk.substr(feed(chunk)));
      continue;
    }
    if (n == 0) throw failure("was cut short: BIRD closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw failure("failed: " + posix_io::errno_text(errno));
    if (posix_io::wait_fd(fd_.get(), POLLIN, deadline_) == 0)
      throw failure(fmt::format("did not arrive in time"));
  }
  return parser_.take();
}

}  // namespace anycastd
