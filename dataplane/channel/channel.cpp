// SPDX-License-Identifier: Apache-2.0
#include "channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd::channel {
namespace {

constexpr std::uint32_t kTablesMagic = 0x61635442;  // "acTB"
// 3: ac_vip_value grew its per-VIP counter entry (stats).
constexpr std::uint32_t kTablesVersion = 3;

// The header, then each service's rate limiter (AC_SVC__COUNT of them), then the records, then
// `fresh` __u32: the per-VIP counter entries the set's VIPs take anew (vip_stats_fresh).
struct TablesImage {
  std::uint32_t magic, version, answering, vips, ports, allow, fresh;
};
using RateLimits = std::array<ac_ratelimit_config, AC_SVC__COUNT>;
struct VipRecord {
  std::uint8_t family, len, pad[2];
  std::uint8_t addr[16];
  ac_vip_value value;
};
struct PortRecord {
  std::uint16_t port, pad;
  ac_port_value value;
};
struct AllowRecord {
  std::uint32_t service;
  std::uint8_t family, len, pad[2];
  std::uint8_t addr[16];
};

template <typename T>
void append(std::vector<std::uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

Prefix prefix_of(std::uint8_t family, std::uint8_t len, const std::uint8_t* addr, const char* what, std::size_t index) {
  Prefix p;
  if (family != 4 && family != 6)
    throw std::runtime_error(std::string(what) + " " + std::to_string(index) + ": family " + std::to_string(family));
  p.family = family;
  if (len > p.max_len())
    throw std::runtime_error(std::string(what) + " " + std::to_string(index) + ": prefix length " + std::to_string(len));
  p.len = len;
  std::memcpy(p.addr.data(), addr, p.addr_bytes());
  return p;
}

}  // namespace

std::string send_message(int socket, Type type, std::uint32_t sequence, const void* payload, std::size_t length,
                         int fd) {
  Header header{kMagic, kVersion, static_cast<std::uint16_t>(type), sequence, static_cast<std::uint32_t>(length)};
  iovec iov[2] = {{&header, sizeof header}, {const_cast<void*>(payload), length}};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = length ? 2 : 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  for (;;) {
    ssize_t sent = sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (sent >= 0) return "";
    if (errno != EINTR) return "sending on the datapath channel: " + posix_io::errno_text(errno);
  }
}

std::optional<Message> receive_message(int socket, posix_io::Deadline deadline, std::string& error) {
  short events = posix_io::wait_fd(socket, POLLIN, deadline);
  if (!events) {
    error = "timed out";
    return std::nullopt;
  }
  std::vector<std::uint8_t> buffer(kMaxMessage);
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    error = "receiving on the datapath channel: " + posix_io::errno_text(errno);
    return std::nullopt;
  }
  if (got == 0) {
    error = "closed";
    return std::nullopt;
  }

  Message m;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      m.fd = posix_io::UniqueFd(fd);
    }
  Header header;
  if (static_cast<std::size_t>(got) < sizeof header || (msg.msg_flags & MSG_TRUNC)) {
    error = "a datagram of " + std::to_string(got) + " bytes is no channel message";
    return std::nullopt;
  }
  std::memcpy(&header, buffer.data(), sizeof header);
  if (header.magic != kMagic || header.version != kVersion) {
    error = "the peer speaks another channel version (" + std::to_string(header.version) + ", this build " +
            std::to_string(kVersion) + "): the datapath binary does not match anycastd";
    return std::nullopt;
  }
  if (header.length != static_cast<std::size_t>(got) - sizeof header) {
    error = "message length " + std::to_string(header.length) + " does not match the datagram";
    return std::nullopt;
  }
  m.type = static_cast<Type>(header.type);
  m.sequence = header.sequence;
  m.payload.assign(buffer.begin() + sizeof header, buffer.begin() + got);
  return m;
}

CaptureFramesWriter::CaptureFramesWriter() : payload_(sizeof(CaptureFramesHead)) {}

bool CaptureFramesWriter::add(const ac_capture_meta& meta, const std::uint8_t* frame) {
  if (sizeof(Header) + payload_.size() + sizeof meta + meta.len > kMaxMessage) return false;
  append(payload_, meta);
  payload_.insert(payload_.end(), frame, frame + meta.len);
  ++frames_;
  return true;
}

std::vector<std::uint8_t> CaptureFramesWriter::finish(std::uint64_t lost, bool on, bool more) {
  const CaptureFramesHead head{lost, frames_, static_cast<std::uint8_t>(on), static_cast<std::uint8_t>(more), 0};
  std::memcpy(payload_.data(), &head, sizeof head);
  return std::move(payload_);
}

CaptureFrames decode_capture_frames(const std::vector<std::uint8_t>& payload) {
  CaptureFrames out{};
  if (payload.size() < sizeof out.head)
    throw std::runtime_error("capture_frames of " + std::to_string(payload.size()) + " bytes is shorter than its head");
  std::memcpy(&out.head, payload.data(), sizeof out.head);
  std::size_t at = sizeof out.head;
  for (std::uint32_t i = 0; i < out.head.frames; ++i) {
    CaptureFrame f{};
    if (payload.size() - at < sizeof f.meta)
      throw std::runtime_error("capture_frames: frame " + std::to_string(i) + " of " + std::to_string(out.head.frames) +
                               " is cut short");
    std::memcpy(&f.meta, payload.data() + at, sizeof f.meta);
    at += sizeof f.meta;
    if (payload.size() - at < f.meta.len)
      throw std::runtime_error("capture_frames: frame " + std::to_string(i) + " says " + std::to_string(f.meta.len) +
                               " bytes, " + std::to_string(payload.size() - at) + " are left");
    f.bytes = payload.data() + at;
    at += f.meta.len;
    out.frames.push_back(f);
  }
  if (at != payload.size())
    throw std::runtime_error("capture_frames: " + std::to_string(payload.size() - at) + " bytes after its " +
                             std::to_string(out.head.frames) + " frames");
  return out;
}

std::vector<std::uint8_t> encode_tables(const FastpathTables& tables) {
  std::vector<std::uint8_t> out;
  append(out, TablesImage{kTablesMagic, kTablesVersion, tables.answering ? 1u : 0u,
                          static_cast<std::uint32_t>(tables.vips.size()), static_cast<std::uint32_t>(tables.ports.size()),
                          static_cast<std::uint32_t>(tables.allow.size()),
                          static_cast<std::uint32_t>(tables.vip_stats_fresh.size())});
  append(out, tables.ratelimit);
  for (const VipEntry& v : tables.vips) {
    VipRecord r{};
    r.family = static_cast<std::uint8_t>(v.prefix.family);
    r.len = v.prefix.len;
    std::memcpy(r.addr, v.prefix.addr.data(), sizeof r.addr);
    r.value = v.value;
    append(out, r);
  }
  for (const auto& [port, value] : tables.ports) append(out, PortRecord{port, 0, value});
  for (const AllowEntry& a : tables.allow) {
    AllowRecord r{};
    r.service = a.service;
    r.family = static_cast<std::uint8_t>(a.source.family);
    r.len = a.source.len;
    std::memcpy(r.addr, a.source.addr.data(), sizeof r.addr);
    append(out, r);
  }
  for (std::uint32_t entry : tables.vip_stats_fresh) append(out, entry);
  return out;
}

FastpathTables decode_tables(const std::uint8_t* data, std::size_t size) {
  TablesImage image;
  if (size < sizeof image) throw std::runtime_error("table image of " + std::to_string(size) + " bytes is truncated");
  std::memcpy(&image, data, sizeof image);
  if (image.magic != kTablesMagic || image.version != kTablesVersion)
    throw std::runtime_error("not a table image of version " + std::to_string(kTablesVersion));
  std::size_t expected = sizeof image + sizeof(RateLimits) + std::size_t{image.vips} * sizeof(VipRecord) +
                         std::size_t{image.ports} * sizeof(PortRecord) + std::size_t{image.allow} * sizeof(AllowRecord) +
                         std::size_t{image.fresh} * sizeof(std::uint32_t);
  if (size != expected)
    throw std::runtime_error("table image is " + std::to_string(size) + " bytes, its counts say " + std::to_string(expected));

  FastpathTables t;
  t.answering = image.answering != 0;
  const std::uint8_t* at = data + sizeof image;
  std::memcpy(t.ratelimit.data(), at, sizeof(RateLimits));
  at += sizeof(RateLimits);
  for (std::uint32_t i = 0; i < image.vips; ++i, at += sizeof(VipRecord)) {
    VipRecord r;
    std::memcpy(&r, at, sizeof r);
    t.vips.push_back({prefix_of(r.family, r.len, r.addr, "vip", i), r.value});
  }
  for (std::uint32_t i = 0; i < image.ports; ++i, at += sizeof(PortRecord)) {
    PortRecord r;
    std::memcpy(&r, at, sizeof r);
    if (r.value.service >= AC_SVC__COUNT)
      throw std::runtime_error("port " + std::to_string(r.port) + ": service " + std::to_string(r.value.service));
    t.ports[r.port] = r.value;
  }
  for (std::uint32_t i = 0; i < image.allow; ++i, at += sizeof(AllowRecord)) {
    AllowRecord r;
    std::memcpy(&r, at, sizeof r);
    if (r.service >= AC_SVC__COUNT)
      throw std::runtime_error("allow " + std::to_string(i) + ": service " + std::to_string(r.service));
    t.allow.push_back({r.service, prefix_of(r.family, r.len, r.addr, "allow", i)});
  }
  for (std::uint32_t i = 0; i < image.fresh; ++i, at += sizeof(std::uint32_t)) {
    std::uint32_t entry;
    std::memcpy(&entry, at, sizeof entry);
    if (entry >= AC_VIP_STATS_OTHER) throw std::runtime_error("fresh VIP counter entry " + std::to_string(entry));
    t.vip_stats_fresh.push_back(entry);
  }
  return t;
}

std::string dns_table_problem(const void* image, std::size_t size) {
  ac_dns_table t;
  if (size < sizeof t) return "DNS table image of " + std::to_string(size) + " bytes is shorter than its header";
  std::memcpy(&t, image, sizeof t);
  if (t.magic != AC_DNS_TABLE_MAGIC) return "not a DNS table image (magic " + std::to_string(t.magic) + ")";
  if (t.version != AC_DNS_TABLE_VERSION)
    return "DNS table image version " + std::to_string(t.version) + ", this build reads " +
           std::to_string(AC_DNS_TABLE_VERSION);
  if (t.slot_count == 0 || (t.slot_count & (t.slot_count - 1)) != 0)
    return "DNS table image: slot_count " + std::to_string(t.slot_count) + " is not a power of two";
  if (std::uint64_t{t.entry_count} * 2 > t.slot_count)
    return "DNS table image: " + std::to_string(t.entry_count) + " entries in " + std::to_string(t.slot_count) +
           " slots (at most half full, or lookups of absent names never end)";
  if (t.arena_size % AC_DNS_CHUNK != 0 || t.arena % AC_DNS_CHUNK != 0)
    return "DNS table image: the arena is not laid out in whole chunks of " + std::to_string(AC_DNS_CHUNK);
  auto region = [&](const char* what, std::uint64_t offset, std::uint64_t bytes, std::size_t align) -> std::string {
    if (bytes == 0) return "";
    if (offset % align != 0) return std::string("DNS table image: the ") + what + " are misaligned";
    if (offset < sizeof t || offset + bytes > size)
      return std::string("DNS table image: the ") + what + " (" + std::to_string(bytes) + " bytes at " +
             std::to_string(offset) + ") lie outside its " + std::to_string(size) + " bytes";
    return "";
  };
  if (std::string p = region("slots", t.slots, std::uint64_t{t.slot_count} * sizeof(ac_dns_slot), alignof(ac_dns_slot));
      !p.empty())
    return p;
  if (std::string p = region("zones", t.zones, std::uint64_t{t.zone_count} * sizeof(ac_dns_zone), alignof(ac_dns_zone));
      !p.empty())
    return p;
  return region("arena", t.arena, t.arena_size, AC_DNS_CHUNK);
}

posix_io::UniqueFd memfd_with(const std::vector<std::uint8_t>& bytes, const char* name) {
  posix_io::UniqueFd fd(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw std::runtime_error("memfd_create: " + posix_io::errno_text(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("writing the table image: " + posix_io::errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  // Sealed, the receiver knows the image cannot change under it while it reads.
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
    throw std::runtime_error("sealing the table image: " + posix_io::errno_text(errno));
  return fd;
}

std::vector<std::uint8_t> read_memfd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) throw std::runtime_error("fstat on the table image: " + posix_io::errno_text(errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("reading the table image: " + (n < 0 ? posix_io::errno_text(errno) : "short"));
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

}  // namespace anycastd::channel
