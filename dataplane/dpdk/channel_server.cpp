// SPDX-License-Identifier: Apache-2.0
#include "channel_server.h"

#include <rte_ethdev.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "env.h"

namespace anycastd::dpdk {
namespace {

// A probe's reply may be longer than its frame (DNS): at most one largest DNS reply more.
constexpr std::size_t kProbeRoom = AC_DNS_UDP_SIZE;

template <typename T>
void append(std::vector<std::uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}

}  // namespace

ChannelServer::ChannelServer(int fd, TableStore& tables, std::vector<const Worker*> workers, std::vector<std::uint16_t> ports)
    : fd_(fd), tables_(tables), workers_(std::move(workers)), ports_(std::move(ports)), beat_([this] { beat_loop(); }) {}

ChannelServer::~ChannelServer() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  cv_.notify_all();
  beat_.join();
}

void ChannelServer::beat_loop() {
  std::unique_lock lock(mutex_);
  while (!quit_) {
    cv_.wait_for(lock, channel::kWorkingInterval);
    if (quit_ || !serving_) continue;
    const std::uint32_t sequence = sequence_;
    // The CPU time of the serving thread, not the wall time it has taken: it moves while a table
    // set is built or a swap spins for its workers, and stands still if that thread is blocked.
    clockid_t clock;
    timespec cpu{};
    if (pthread_getcpuclockid(server_thread_, &clock) == 0) clock_gettime(clock, &cpu);
    lock.unlock();
    std::vector<std::uint8_t> payload;
    append(payload, channel::Working{static_cast<std::uint64_t>(cpu.tv_sec) * 1000000000u +
                                         static_cast<std::uint64_t>(cpu.tv_nsec),
                                     static_cast<std::uint32_t>(workers_.size()), 0});
    for (const Worker* w : workers_)
      append(payload, channel::WorkerBeat{w->config.lcore, 0, read_counters(w->counters).loops});
    // A failed send is the serving thread's to see: the channel is gone for its reply too.
    channel::send_message(fd_, channel::Type::working, sequence, payload.data(), payload.size());
    lock.lock();
  }
}

std::string ChannelServer::send_hello(const channel::Hello& hello) {
  return channel::send_message(fd_, channel::Type::hello, 0, &hello, sizeof hello);
}

ChannelServer::Result ChannelServer::serve_one(std::chrono::milliseconds wait, std::string& note) {
  std::string error;
  std::optional<channel::Message> m = channel::receive_message(fd_, posix_io::deadline_in(wait), error);
  if (!m) {
    if (error == "timed out") return Result::idle;
    if (error == "closed" || error.rfind("receiving", 0) == 0) {
      note = error;
      return Result::closed;
    }
    note = "ignored a bad datagram: " + error;
    reply_error(0, error);
    return Result::answered;
  }
  {
    std::lock_guard lock(mutex_);
    serving_ = true;
    sequence_ = m->sequence;
    server_thread_ = pthread_self();
  }
  std::string sent = answer(*m, note);
  {
    std::lock_guard lock(mutex_);
    serving_ = false;
  }
  if (!sent.empty()) {
    note = sent;
    return Result::closed;
  }
  return Result::answered;
}

std::string ChannelServer::answer(const channel::Message& m, std::string& note) {
  switch (m.type) {
    case channel::Type::tables: return reply_tables(m, note);
    case channel::Type::stats: return reply_stats(m);
    case channel::Type::probe: return reply_probe(m);
    case channel::Type::ntp_state: return reply_ntp_state(m);
    case channel::Type::dns_edns: return reply_dns_edns(m);
    case channel::Type::dns_table: return reply_dns_table(m, note);
    case channel::Type::capture_start: return reply_capture_start(m);
    case channel::Type::capture_stop: return reply_capture_stop(m);
    case channel::Type::capture_read: return reply_capture_read(m);
    default:
      note = "unknown request type " + std::to_string(static_cast<unsigned>(m.type));
      return reply_error(m.sequence, note);
  }
}

std::string ChannelServer::reply_error(std::uint32_t sequence, const std::string& text) {
  return channel::send_message(fd_, channel::Type::error, sequence, text.data(), text.size());
}

std::string ChannelServer::reply_tables(const channel::Message& m, std::string& note) {
  std::string error;
  if (!m.fd) {
    error = "tables: no table image attached (the memfd is missing)";
  } else {
    try {
      std::vector<std::uint8_t> image = channel::read_memfd(m.fd.get());
      FastpathTables decoded = channel::decode_tables(image.data(), image.size());
      std::unique_ptr<DpdkTables> built = DpdkTables::build(decoded, error);
      if (built) tables_.publish(std::move(built));
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (!error.empty()) {
    note = "tables refused, the previous set stays: " + error;
    return reply_error(m.sequence, note);
  }
  return channel::send_message(fd_, channel::Type::ok, m.sequence, nullptr, 0);
}

std::string ChannelServer::reply_dns_table(const channel::Message& m, std::string& note) {
  std::string error = "no DNS table image attached (the memfd is missing)";
  std::unique_ptr<DnsTable> table = m.fd ? DnsTable::map(m.fd.get(), error) : nullptr;
  if (!table) {
    note = "DNS table refused, the previous one stays: " + error;
    return reply_error(m.sequence, note);
  }
  tables_.publish_dns(std::move(table));
  return channel::send_message(fd_, channel::Type::ok, m.sequence, nullptr, 0);
}

std::string ChannelServer::reply_ntp_state(const channel::Message& m) {
  if (m.payload.size() != sizeof(ac_ntp_state))
    return reply_error(m.sequence, "ntp_state: " + std::to_string(m.payload.size()) + " bytes, expected " +
                                       std::to_string(sizeof(ac_ntp_state)));
  ac_ntp_state state;
  std::memcpy(&state, m.payload.data(), sizeof state);
  tables_.set_ntp(state);
  return channel::send_message(fd_, channel::Type::ok, m.sequence, nullptr, 0);
}

std::string ChannelServer::reply_dns_edns(const channel::Message& m) {
  if (m.payload.size() != sizeof(ac_dns_edns))
    return reply_error(m.sequence, "dns_edns: " + std::to_string(m.payload.size()) + " bytes, expected " +
                                       std::to_string(sizeof(ac_dns_edns)));
  ac_dns_edns edns;
  std::memcpy(&edns, m.payload.data(), sizeof edns);
  // The core reads at most AC_DNS_NSID_MAX bytes and two secrets whatever these say; a control
  // of this tree never sends more, but a refusal names the fault rather than serving it.
  if (edns.nsid_len > AC_DNS_NSID_MAX || edns.secrets > 2)
    return reply_error(m.sequence, "dns_edns: NSID of " + std::to_string(edns.nsid_len) + " bytes (at most " +
                                       std::to_string(AC_DNS_NSID_MAX) + "), " + std::to_string(edns.secrets) +
                                       " secrets (at most 2)");
  tables_.set_dns_edns(edns);
  return channel::send_message(fd_, channel::Type::ok, m.sequence, nullptr, 0);
}

std::string ChannelServer::reply_capture_start(const channel::Message& m) {
  ac_capture_config config;
  if (m.payload.size() != sizeof config)
    return reply_error(m.sequence, "capture_start: " + std::to_string(m.payload.size()) + " bytes, expected " +
                                       std::to_string(sizeof config));
  std::memcpy(&config, m.payload.data(), sizeof config);
  if (!(config.flags & AC_CAPTURE_F_ON)) return reply_error(m.sequence, "capture_start: the filter is not switched on");
  // Off first: once that returns no worker copies any more, so what waits in the rings is the
  // last capture's, dropped here, and the lost counts start from where they stand.
  tables_.publish_capture(nullptr);
  capture_lost_base_.clear();
  for (const Worker* w : workers_) {
    w->capture->clear();
    capture_lost_base_.push_back(w->capture->lost());
  }
  tables_.publish_capture(std::make_unique<ac_capture_config>(config));
  return channel::send_message(fd_, channel::Type::ok, m.sequence, nullptr, 0);
}

std::string ChannelServer::reply_capture_stop(const channel::Message& m) {
  const channel::CaptureStopped stopped{tables_.capture() ? 1u : 0u, 0};
  tables_.publish_capture(nullptr);
  return channel::send_message(fd_, channel::Type::capture_stopped, m.sequence, &stopped, sizeof stopped);
}

std::uint64_t ChannelServer::capture_lost() const {
  std::uint64_t lost = 0;
  for (std::size_t i = 0; i < workers_.size() && i < capture_lost_base_.size(); ++i)
    lost += workers_[i]->capture->lost() - capture_lost_base_[i];
  return lost;
}

std::string ChannelServer::reply_capture_read(const channel::Message& m) {
  channel::CaptureFramesWriter writer;
  const bool on = tables_.capture() != nullptr;
  bool more = false;
  if (on && !workers_.empty()) {
    // Whole rings in turn, from the one after where the last read stopped, until the reply is full.
    for (std::size_t turn = 0; turn < workers_.size() && !more; ++turn) {
      CaptureRing& ring = *workers_[capture_next_]->capture;
      while (const CaptureSlot* slot = ring.front()) {
        if (!writer.add(slot->meta, slot->frame)) {
          more = true;
          break;
        }
        ring.pop();
      }
      if (!more) capture_next_ = (capture_next_ + 1) % workers_.size();
    }
  }
  std::vector<std::uint8_t> payload = writer.finish(on ? capture_lost() : 0, on, more);
  return channel::send_message(fd_, channel::Type::capture_frames, m.sequence, payload.data(), payload.size());
}

std::string ChannelServer::reply_stats(const channel::Message& m) {
  // Every port's xstats, tagged with the port; whatever the devices report, the reply stays one
  // datagram (the last port's are cut first).
  std::vector<channel::Xstat> xstats;
  const std::size_t room = (channel::kMaxMessage - sizeof(channel::Header) - sizeof(channel::StatsReply) -
                            workers_.size() * sizeof(channel::LcoreStats) -
                            ports_.size() * sizeof(channel::PortLink) - AC_VIP_STATS_ENTRIES * sizeof(channel::VipStats)) /
                           sizeof(channel::Xstat);
  for (std::uint16_t port : ports_) {
    int n = rte_eth_xstats_get_names(port, nullptr, 0);
    if (n <= 0) continue;
    std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(n));
    std::vector<rte_eth_xstat> values(static_cast<std::size_t>(n));
    if (rte_eth_xstats_get_names(port, names.data(), static_cast<unsigned>(n)) != n ||
        rte_eth_xstats_get(port, values.data(), static_cast<unsigned>(n)) != n)
      continue;
    for (int i = 0; i < n && xstats.size() < room; ++i) {
      channel::Xstat x{};
      channel::set_text(x.name, names[static_cast<std::size_t>(i)].name);
      x.port = port;
      x.value = values[static_cast<std::size_t>(i)].value;
      xstats.push_back(x);
    }
  }

  std::vector<ac_vip_stats> vip_sum;
  for (const Worker* w : workers_) add_vip_counters(*w->vips, vip_sum);
  std::vector<channel::VipStats> vips;
  for (std::uint32_t e = 0; e < vip_sum.size(); ++e) {
    const ac_vip_stats& v = vip_sum[e];
    if (v.action[AC_ACT_ANSWER] || v.action[AC_ACT_PASS] || v.action[AC_ACT_DROP]) vips.push_back({e, 0, v});
  }
  channel::StatsReply head{static_cast<std::uint32_t>(workers_.size()), static_cast<std::uint32_t>(ports_.size()),
                           static_cast<std::uint32_t>(xstats.size()), static_cast<std::uint32_t>(vips.size())};
  std::vector<std::uint8_t> payload;
  append(payload, head);
  for (const Worker* w : workers_) {
    LcoreCounters c = read_counters(w->counters);
    channel::LcoreStats s{};
    s.lcore = w->config.lcore;
    s.port = w->config.port;
    s.queue = w->config.queue;
    s.loops = c.loops;
    s.core = c.core;
    s.datapath = c.datapath;
    append(payload, s);
  }
  for (std::uint16_t port : ports_) {
    rte_eth_link link{};
    rte_eth_link_get_nowait(port, &link);
    append(payload, channel::PortLink{port, 0, link.link_status ? 1u : 0u, link.link_speed});
  }
  for (const channel::Xstat& x : xstats) append(payload, x);
  for (const channel::VipStats& v : vips) append(payload, v);
  return channel::send_message(fd_, channel::Type::stats_reply, m.sequence, payload.data(), payload.size());
}

std::string ChannelServer::reply_probe(const channel::Message& m) {
  if (m.payload.size() > channel::kMaxMessage - sizeof(channel::Header) - sizeof(channel::ProbeReply))
    return reply_error(m.sequence, "probe: a frame of " + std::to_string(m.payload.size()) +
                                       " bytes leaves no room for the reply");
  // Room for the largest reply the core writes, as a worker's mbuf has tailroom.
  std::vector<std::uint8_t> frame(m.payload.size() + kProbeRoom);
  std::copy(m.payload.begin(), m.payload.end(), frame.begin());
  const DnsTable* dns = tables_.dns();
  std::uint8_t* data = frame.data();
  ac_env env{tables_.current(),
             0,
             tables_.ntp(),
             dns ? dns->image() : nullptr,
             nullptr,
             data + m.payload.size(),
             data + frame.size(),
             nullptr,
             ac_env_monotonic_now(),
             nullptr,
             nullptr,
             tables_.dns_edns()};
  ac_headers h;
  ac_verdict v = ac_decide(&env, data, env.frame_end, &h);
  if (v.action == AC_ACT_ANSWER) v = ac_respond(&env, &h, v);
  frame.resize(static_cast<std::size_t>(env.frame_end - data));

  channel::ProbeReply head{v.action, v.reason, v.service, 0, static_cast<std::uint32_t>(frame.size())};
  std::vector<std::uint8_t> payload;
  append(payload, head);
  payload.insert(payload.end(), frame.begin(), frame.end());
  return channel::send_message(fd_, channel::Type::probe_reply, m.sequence, payload.data(), payload.size());
}

}  // namespace anycastd::dpdk
