// SPDX-License-Identifier: Apache-2.0
#include "clock/chrony_clock.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "clock/kernel_clock.h"
#include "base/posix_io.h"

namespace anycastd {
namespace {

constexpr std::uint8_t kProtocolVersion = 6;
constexpr std::uint8_t kRequest = 1, kReply = 2;
constexpr std::uint16_t kReqTracking = 33, kRpyTracking = 5;
constexpr std::size_t kRequestHeader = 20;
constexpr std::size_t kReplyHeader = 28;
// ref_id 4, IPAddr 20, stratum 2, leap 2, Timespec 12, nine Floats 36.
constexpr std::size_t kTrackingBody = 76;
// chronyd drops a request shorter than its reply (no amplification): pad to the reply's length.
constexpr std::size_t kRequestLength = kReplyHeader + kTrackingBody;
constexpr std::uint32_t kNoHighSeconds = 0x7fffffff;

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Removes the client socket's path however the query ends.
struct BoundPath {
  std::string path;
  ~BoundPath() {
    if (!path.empty()) unlink(path.c_str());
  }
};

}  // namespace

double chrony_float(std::uint32_t network_order) {
  std::uint32_t x = ntohl(network_order);
  int exp = static_cast<int>(x >> 25);
  if (exp >= 64) exp -= 128;
  std::int32_t coef = static_cast<std::int32_t>(x & ((1u << 25) - 1));
  if (coef >= (1 << 24)) coef -= 1 << 25;
  return std::ldexp(static_cast<double>(coef), exp - 25);
}

ChronyTracking query_chrony_tracking(const std::string& socket_path, std::chrono::milliseconds timeout) {
  sockaddr_un server{};
  server.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof server.sun_path) throw std::runtime_error("socket path too long");
  std::memcpy(server.sun_path, socket_path.c_str(), socket_path.size() + 1);

  posix_io::UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error("socket: " + posix_io::errno_text(errno));
  static std::atomic<unsigned> counter{0};
  std::string dir = socket_path.substr(0, socket_path.rfind('/') + 1);
  BoundPath bound;
  bound.path = dir + "anycastd." + std::to_string(getpid()) + "." + std::to_string(counter++) + ".sock";
  sockaddr_un client{};
  client.sun_family = AF_UNIX;
  if (bound.path.size() >= sizeof client.sun_path) throw std::runtime_error("client socket path too long");
  std::memcpy(client.sun_path, bound.path.c_str(), bound.path.size() + 1);
  unlink(bound.path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&client), sizeof client) != 0) {
    int err = errno;
    bound.path.clear();
    throw std::runtime_error("binding " + std::string(client.sun_path) + ": " + posix_io::errno_text(err));
  }
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&server), sizeof server) != 0)
    throw std::runtime_error("connecting to " + socket_path + ": " + posix_io::errno_text(errno));

  std::uint8_t request[kRequestLength] = {};
  request[0] = kProtocolVersion;
  request[1] = kRequest;
  request[4] = kReqTracking >> 8;
  request[5] = kReqTracking & 0xFF;
  std::uint32_t sequence = static_cast<std::uint32_t>(getpid()) ^ counter.load();
  std::uint32_t seq_be = htonl(sequence);
  std::memcpy(request + 8, &seq_be, 4);
  if (send(fd.get(), request, sizeof request, 0) != static_cast<ssize_t>(sizeof request))
    throw std::runtime_error("sending to " + socket_path + ": " + posix_io::errno_text(errno));

  std::uint8_t reply[1024];
  auto deadline = posix_io::deadline_in(timeout);
  for (;;) {
    if (!posix_io::wait_fd(fd.get(), POLLIN, deadline))
      throw std::runtime_error("no answer from " + socket_path + " within " + std::to_string(timeout.count()) + " ms");
    ssize_t n = recv(fd.get(), reply, sizeof reply, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) throw std::runtime_error("receiving from " + socket_path + ": " + posix_io::errno_text(errno));
    if (static_cast<std::size_t>(n) < kReplyHeader || reply[1] != kReply || get32(reply + 16) != sequence)
      continue;  // not the answer to this request
    if (reply[0] != kProtocolVersion)
      throw std::runtime_error("chronyd speaks command protocol version " + std::to_string(reply[0]) + ", not 6");
    std::uint16_t status = get16(reply + 8);
    if (status != 0)
      throw std::runtime_error("chronyd refused the tracking request (status " + std::to_string(status) + ")");
    if (get16(reply + 6) != kRpyTracking || static_cast<std::size_t>(n) < kReplyHeader + kTrackingBody)
      throw std::runtime_error("chronyd's tracking reply has an unexpected format");
    const std::uint8_t* d = reply + kReplyHeader;
    ChronyTracking t;
    t.refid = get32(d);
    t.stratum = get16(d + 24);
    t.leap_status = get16(d + 26);
    std::uint32_t high = get32(d + 28), low = get32(d + 32), nsec = get32(d + 36);
    std::uint64_t seconds = (high == kNoHighSeconds ? 0 : std::uint64_t{high} << 32) | low;
    t.ref_time_ns = seconds * 1000000000ull + nsec;
    std::uint32_t raw;
    std::memcpy(&raw, d + 40 + 6 * 4, 4);  // after correction, offsets, frequencies, skew
    t.root_delay = chrony_float(raw);
    std::memcpy(&raw, d + 40 + 7 * 4, 4);
    t.root_dispersion = chrony_float(raw);
    return t;
  }
}

ClockReading ChronyClock::read() {
  ClockReading r;
  KernelTime kernel = read_kernel_time();
  r.tai_offset = kernel.tai_offset;
  r.precision = kernel.precision;
  ChronyTracking t;
  try {
    t = query_chrony_tracking(socket_, timeout_);
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  r.reachable = true;
  r.leap = static_cast<std::uint8_t>(t.leap_status & 3);
  r.synchronised = t.leap_status != 3;
  r.stratum = static_cast<std::uint8_t>(t.stratum > 16 ? 16 : t.stratum);
  r.refid = t.refid;
  r.reference_time = ((t.ref_time_ns / 1000000000ull + 2208988800ull) << 32) |
                     ((t.ref_time_ns % 1000000000ull) << 32) / 1000000000ull;
  r.root_delay = t.root_delay;
  r.root_dispersion = t.root_dispersion;
  r.error_bound = t.root_dispersion + t.root_delay / 2;
  if (!r.synchronised) r.error = "chronyd reports its clock not synchronised";
  return r;
}

}  // namespace anycastd
