// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace anycastd {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace

bool switch_capture_off(int config_map_fd) {
  std::uint32_t zero = 0;
  ac_capture_config was{};
  const bool on = bpf_map_lookup_elem(config_map_fd, &zero, &was) == 0 && (was.flags & AC_CAPTURE_F_ON);
  const ac_capture_config off{};
  if (bpf_map_update_elem(config_map_fd, &zero, &off, BPF_ANY) != 0)
    throw std::runtime_error("switching packet capture off (ac_capture): " + errno_text(errno));
  return on;
}

void XdpCapture::PerfBufferDeleter::operator()(perf_buffer* pb) const { perf_buffer__free(pb); }

XdpCapture::XdpCapture(const XdpCaptureMaps& maps, const CaptureFilter& filter) : maps_(maps) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw std::runtime_error("capture: counting the possible CPUs: " + errno_text(cpus));
  std::vector<ac_capture_counts> zeroes(static_cast<std::size_t>(cpus));
  std::uint32_t zero = 0;
  if (bpf_map_update_elem(maps_.counts, &zero, zeroes.data(), BPF_ANY) != 0)
    throw std::runtime_error("capture: zeroing its counters (ac_capture_cnt): " + errno_text(errno));

  ring_.reset(perf_buffer__new(maps_.ring, kRingPages, &XdpCapture::on_sample, &XdpCapture::on_lost, this, nullptr));
  if (!ring_) throw std::runtime_error("capture: making the per-CPU rings (ac_capture_ring): " + errno_text(errno));

  const ac_capture_config config = capture_config(filter);
  if (bpf_map_update_elem(maps_.config, &zero, &config, BPF_ANY) != 0)
    throw std::runtime_error("capture: switching it on (ac_capture): " + errno_text(errno));
}

XdpCapture::~XdpCapture() {
  try {
    switch_capture_off(maps_.config);
  } catch (const std::runtime_error&) {
    // The rings go below all the same: the program's copies then fail and count as lost, and
    // the next capture or start writes the switch again.
  }
}

int XdpCapture::fd() const { return perf_buffer__epoll_fd(ring_.get()); }

void XdpCapture::on_sample(void* self, int, void* data, std::uint32_t size) {
  auto* capture = static_cast<XdpCapture*>(self);
  if (size < sizeof(ac_capture_meta) || !capture->sink_) return;
  ac_capture_meta meta;
  std::memcpy(&meta, data, sizeof meta);
  if (meta.len > size - sizeof meta) return;  // not what the program writes: never trusted past the sample
  CapturedFrame frame;
  frame.mono_ns = meta.mono_ns;
  frame.kind = meta.kind;
  frame.service = meta.service;
  frame.bytes = {static_cast<const std::uint8_t*>(data) + sizeof meta, meta.len};
  ++capture->taken_;
  (*capture->sink_)(frame);
}

void XdpCapture::on_lost(void* self, int, __u64 count) { static_cast<XdpCapture*>(self)->lost_in_ring_ += count; }

std::size_t XdpCapture::read_some(const std::function<void(const CapturedFrame&)>& sink) {
  const std::size_t buffers = perf_buffer__buffer_cnt(ring_.get());
  if (buffers == 0) return 0;
  sink_ = &sink;
  taken_ = 0;
  // Every ring once, from where the last call stopped, until one gave frames: the sink's owner
  // decides between calls whether it has room for more.
  for (std::size_t tried = 0; tried < buffers && taken_ == 0; ++tried) {
    perf_buffer__consume_buffer(ring_.get(), next_buffer_);
    next_buffer_ = (next_buffer_ + 1) % buffers;
  }
  sink_ = nullptr;
  return taken_;
}

std::uint64_t XdpCapture::lost() const {
  const int cpus = libbpf_num_possible_cpus();
  std::vector<ac_capture_counts> per_cpu(static_cast<std::size_t>(cpus > 0 ? cpus : 0));
  std::uint32_t zero = 0;
  std::uint64_t lost = 0;
  if (!per_cpu.empty() && bpf_map_lookup_elem(maps_.counts, &zero, per_cpu.data()) == 0)
    for (const ac_capture_counts& c : per_cpu) lost += c.lost;
  // A frame the program could not write is counted there (its output failed); PERF_RECORD_LOST
  // reports the same frames again, so it only counts when the program's own count is behind.
  return std::max(lost, lost_in_ring_);
}

}  // namespace anycastd
