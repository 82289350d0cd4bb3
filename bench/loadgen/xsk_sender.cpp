// SPDX-License-Identifier: Apache-2.0
#include "xsk_sender.h"

#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "lg_frame.h"

namespace anycastd::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// One UMEM chunk per TX ring slot: a reservation of up to the free chunks then always fits.
constexpr std::uint32_t kRing = XSK_RING_PROD__DEFAULT_NUM_DESCS;

std::string sys_net(const std::string& dev, const std::string& file) {
  std::ifstream in("/sys/class/net/" + dev + "/" + file);
  std::string v;
  std::getline(in, v);
  return v;
}

std::string memlock_limit() {
  rlimit rl{};
  getrlimit(RLIMIT_MEMLOCK, &rl);
  if (rl.rlim_cur == RLIM_INFINITY) return "unlimited";
  return std::to_string(rl.rlim_cur / 1024) + " KiB";
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

}  // namespace

std::uint32_t tx_queues(const std::string& dev) {
  std::uint32_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net/" + dev + "/queues", ec))
    if (e.path().filename().string().rfind("tx-", 0) == 0) ++n;
  return n;
}

XskSender::XskSender(const std::string& dev, std::uint32_t queue, std::size_t frame_len)
    : dev_(dev), queue_(queue), frame_len_(frame_len), chunk_(frame_len <= 2048 ? 2048 : 4096) {
  const std::string where = "queue " + std::to_string(queue) + " of " + dev;
  if (!if_nametoindex(dev.c_str()))
    throw std::runtime_error("no interface '" + dev + "' here (run it in the interface's namespace)");
  if ((std::stoul(sys_net(dev, "flags"), nullptr, 16) & IFF_UP) == 0)
    throw std::runtime_error("interface " + dev + " is down (ip link set dev " + dev + " up)");
  if (sys_net(dev, "carrier") != "1")
    throw std::runtime_error("interface " + dev + " is up but has no carrier (its link or veth peer is down)");
  if (const std::uint32_t n = tx_queues(dev); queue >= n)
    throw std::runtime_error(dev + " has " + std::to_string(n) + " TX queue(s): there is no queue " +
                             std::to_string(queue));
  if (frame_len > 4096)
    throw std::runtime_error("the xsk engine sends frames of at most 4096 bytes (one UMEM chunk, a page), not " +
                             std::to_string(frame_len));

  area_len_ = static_cast<std::size_t>(kRing) * chunk_;
  area_ = mmap(nullptr, area_len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area_ == MAP_FAILED) {
    area_ = nullptr;
    throw std::runtime_error("mapping " + std::to_string(area_len_ >> 10) + " KiB for the UMEM: " + std::strerror(errno));
  }
  xsk_umem_config ucfg{};
  ucfg.fill_size = kRing;
  ucfg.comp_size = kRing;
  ucfg.frame_size = static_cast<std::uint32_t>(chunk_);
  if (int err = xsk_umem__create(&umem_, area_, area_len_, &fill_, &comp_, &ucfg); err) {
    munmap(area_, area_len_);
    throw std::runtime_error("registering a UMEM of " + std::to_string(area_len_ >> 10) + " KiB for " + where + ": " +
                             std::strerror(-err) + " (locked memory: RLIMIT_MEMLOCK is " + memlock_limit() +
                             "; root without CAP_IPC_LOCK is held to it)");
  }
  xsk_socket_config scfg{};
  scfg.tx_size = kRing;
  scfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
  scfg.bind_flags = XDP_USE_NEED_WAKEUP;
  if (int err = xsk_socket__create(&xsk_, dev.c_str(), queue, umem_, nullptr, &tx_, &scfg); err) {
    xsk_umem__delete(umem_);
    munmap(area_, area_len_);
    if (err == -EBUSY)
      throw std::runtime_error(where + " is already bound by another AF_XDP socket (another loadgen, knotd's XDP "
                               "mode, DPDK's net_af_xdp ...): one socket per queue");
    throw std::runtime_error("binding an AF_XDP socket to " + where + ": " + std::strerror(-err));
  }
  xdp_options opts{};
  socklen_t len = sizeof opts;
  if (getsockopt(xsk_socket__fd(xsk_), SOL_XDP, XDP_OPTIONS, &opts, &len) == 0)
    zero_copy_ = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  free_.reserve(kRing);
  for (std::uint32_t k = 0; k < kRing; ++k) free_.push_back(static_cast<std::uint64_t>(k) * chunk_);
}

XskSender::~XskSender() {
  xsk_socket__delete(xsk_);
  xsk_umem__delete(umem_);
  munmap(area_, area_len_);
}

void XskSender::reclaim(XskRun& r) {
  std::uint32_t idx = 0;
  const std::uint32_t n = xsk_ring_cons__peek(&comp_, kRing, &idx);
  for (std::uint32_t k = 0; k < n; ++k) free_.push_back(*xsk_ring_cons__comp_addr(&comp_, idx + k));
  xsk_ring_cons__release(&comp_, n);
  r.sent += n;
}

bool XskSender::kick(std::string& why) {
  if (!xsk_ring_prod__needs_wakeup(&tx_)) return true;
  if (sendto(xsk_socket__fd(xsk_), nullptr, 0, MSG_DONTWAIT, nullptr, 0) >= 0) return true;
  switch (errno) {
    case EAGAIN:   // the driver's queue is full: frames stay on the ring for the next kick
    case EBUSY:    // a frame dropped on the way (completed all the same), or the ring is being served
    case ENOBUFS:  // no socket buffer for the copy yet
    case EINTR:
      return true;
    case ENETDOWN:
    case ENXIO:  // unbound: the interface went away
    case ENODEV:
      why = std::string("the kernel stopped taking frames from ") + "queue " + std::to_string(queue_) + " of " + dev_ +
            ": " + std::strerror(errno);
      return false;
    default:
      throw std::runtime_error("waking the AF_XDP socket on queue " + std::to_string(queue_) + " of " + dev_ + ": " +
                               std::strerror(errno));
  }
}

XskRun XskSender::run(const Template& t, std::uint64_t first, std::uint64_t count, std::uint64_t interval_ns,
                      Clock::time_point deadline, std::uint32_t batch) {
  const lg_gen_config& plan = t.config;
  const std::vector<lg_vip>& vips = t.vips;
  if (vips.empty() || plan.vip_count != vips.size() || !plan.src_count || !plan.sport_count ||
      t.frame.size() != frame_len_)
    throw std::invalid_argument("the frame plan, its VIPs and the socket's frame length do not match");
  // Every chunk holds the template; a frame rewrites only its head (lg_write_frame).
  auto* area = static_cast<std::uint8_t*>(area_);
  for (std::uint64_t addr : free_) std::memcpy(area + addr, t.frame.data(), frame_len_);
  XskRun r;
  std::uint64_t queued = 0, seq = first;
  __u64 next_ns = 0;  // lg_due's clock: the next frame's time
  bool up = true;
  while (up && Clock::now() < deadline && (!count || queued < count)) {
    reclaim(r);
    auto want = static_cast<std::uint32_t>(std::min<std::uint64_t>({batch, free_.size(), count ? count - queued : batch}));
    if (interval_ns) {
      const std::uint64_t now = now_ns();
      std::uint32_t due = 0;
      while (due < want && lg_due(&next_ns, now, interval_ns)) ++due;
      want = due;
    }
    if (want) {
      std::uint32_t idx = 0;
      xsk_ring_prod__reserve(&tx_, want, &idx);  // always `want`: a ring slot per free chunk
      for (std::uint32_t k = 0; k < want; ++k, ++seq) {
        const std::uint64_t addr = free_.back();
        free_.pop_back();
        std::uint8_t* frame = area + addr;
        const auto i = static_cast<std::uint32_t>(seq);
        if (lg_write_frame(&plan, &vips[lg_vip_index(&plan, i)], i, frame, frame + frame_len_))
          throw std::invalid_argument("the frame plan does not fit its frame length");
        xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + k);
        d->addr = addr;
        d->len = static_cast<std::uint32_t>(frame_len_);
        d->options = 0;
      }
      xsk_ring_prod__submit(&tx_, want);
      queued += want;
    } else if (interval_ns && next_ns > now_ns() + 20000) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::uint64_t>(next_ns - now_ns(), 1000000)));
    }
    up = kick(r.stall);
  }
  // What is on the ring is sent by the deadline (or a moment after it, when the run reached it);
  // a socket the kernel stopped serving completes nothing more.
  const Clock::time_point drain_until = std::max(deadline, Clock::now() + std::chrono::milliseconds(100));
  while (true) {
    reclaim(r);
    if (!up || r.sent == queued || Clock::now() >= drain_until) break;
    up = kick(r.stall);
    std::this_thread::sleep_for(std::chrono::microseconds(10));
  }
  r.stuck = queued - r.sent;
  if (r.stuck && r.stall.empty())
    r.stall = "the kernel completed none of them on queue " + std::to_string(queue_) + " of " + dev_ + " by the deadline";
  return r;
}

}  // namespace anycastd::loadgen
