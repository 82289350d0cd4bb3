// SPDX-License-Identifier: Apache-2.0
#include "ctl/capture_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <memory>
#include <variant>

#include "ctl/capture_stream.h"
#include "ctl/client.h"

namespace anycastd::ctl {
namespace {

using Kind = CaptureFailure::Kind;

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

// Without SA_RESTART, so that the wait for the next frames returns at once.
void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

class Output {
 public:
  explicit Output(const std::string& path) : path_(path) {
    if (path == "-") {
      if (::isatty(STDOUT_FILENO))
        throw CaptureFailure(Kind::file, "refusing to write a pcap to a terminal: give -w FILE, or pipe it "
                                         "(anycastctl capture -w - | tcpdump -r -)");
      fd_ = STDOUT_FILENO;
      return;
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw CaptureFailure(Kind::file, "cannot write capture file " + path + ": " + std::strerror(errno));
    created_ = true;
  }
  ~Output() {
    if (created_) ::close(fd_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw CaptureFailure(Kind::file, "writing " + std::string(path_ == "-" ? "stdout" : path_) + ": " +
                                             std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
  }
  // The daemon refused: a file made only for this capture is not left behind, empty.
  void discard() {
    if (created_) ::unlink(path_.c_str());
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool created_ = false;
};

}  // namespace

nlohmann::json capture_to_file(const std::string& socket, const CaptureOptions& options, const std::string& path,
                               std::chrono::milliseconds timeout) {
  signal(SIGPIPE, SIG_IGN);  // a reader that went (tcpdump quit) is a write error, not a death
  Output out(path);

  std::unique_ptr<Stream> stream;
  try {
    stream = open_stream(socket, capture_request_line(options), timeout);
  } catch (const ConnectError& e) {
    out.discard();
    throw CaptureFailure(Kind::unreachable, e.what());
  }
  nlohmann::json reply = nlohmann::json::parse(stream->reply(), nullptr, false);
  if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean()) {
    out.discard();
    throw CaptureFailure(Kind::unreachable, "anycastd on " + socket + " sent a reply that is not the protocol's: " +
                                                stream->reply());
  }
  if (!reply["ok"].get<bool>()) {
    out.discard();
    throw CaptureFailure(Kind::refused, reply.contains("error") && reply["error"].is_string()
                                            ? reply["error"].get<std::string>()
                                            : reply.dump());
  }

  catch_interrupts();
  out.write(pcap_file_header());
  CaptureStreamReader reader;
  const std::string rest = stream->take_rest();
  reader.feed(rest.data(), rest.size());
  std::uint64_t frames = 0;
  // The daemon ends the capture itself at its deadline; this one is for a daemon that hangs.
  bool asked_end = false;
  auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<long long>(std::ceil(options.seconds * 1000))) + timeout;
  char buf[65536];
  for (;;) {
    try {
      while (auto record = reader.next()) {
        if (auto* frame = std::get_if<CaptureFrameRecord>(&*record)) {
          out.write(pcap_record(frame->realtime_ns, frame->wire_len, frame->bytes));
          ++frames;
        } else {
          nlohmann::json summary = std::get<CaptureEndRecord>(*record).summary;
          if (asked_end) summary["ended"] = "interrupted";
          return summary;
        }
      }
    } catch (const CaptureStreamError& e) {
      throw CaptureFailure(Kind::unreachable, std::string(e.what()) + " (the file holds the frames before it)");
    }
    if (interrupted && !asked_end) {
      // The daemon ends the capture at the end of our side and still sends its summary: the
      // lost count is its to give. A daemon that does not within the timeout leaves ours.
      ::shutdown(stream->fd(), SHUT_WR);
      asked_end = true;
      give_up = std::min(give_up, std::chrono::steady_clock::now() + timeout);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (asked_end) return {{"ended", "interrupted"}, {"frames", frames}};
      throw CaptureFailure(Kind::cut, "anycastd did not end the capture in time; the file holds " +
                                          std::to_string(frames) + " frames");
    }
    pollfd p{stream->fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000))) < 0 && errno != EINTR)
      throw CaptureFailure(Kind::unreachable, std::string("poll: ") + std::strerror(errno));
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::recv(stream->fd(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0)
      throw CaptureFailure(Kind::cut, "anycastd closed the capture without its summary (it stopped or died); the "
                                      "file holds " + std::to_string(frames) + " frames");
    reader.feed(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace anycastd::ctl
