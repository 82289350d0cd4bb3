// SPDX-License-Identifier: Apache-2.0
#pragma once

// The XDP side of a capture (docs/capture.md): the perf ring the program copies into, one per
// CPU, and the filter and switch in ac_capture (abi.h). The switch goes on last, once every ring
// has its reader, and off first when the capture ends.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "abi.h"
#include "base/capture_filter.h"
#include "datapath/capture_config.h"
#include "datapath/datapath.h"

struct perf_buffer;

namespace anycastd {

struct XdpCaptureMaps {
  int config = -1;  // ac_capture
  int ring = -1;    // ac_capture_ring
  int counts = -1;  // ac_capture_cnt
};

class XdpCapture final : public CaptureTap {
 public:
  // Per-CPU ring size: 64 pages (256 KiB on x86), about 180 full-size frames per CPU between two
  // reads. Throws std::runtime_error naming what failed.
  static constexpr std::size_t kRingPages = 64;
  XdpCapture(const XdpCaptureMaps& maps, const CaptureFilter& filter);
  ~XdpCapture() override;
  XdpCapture(const XdpCapture&) = delete;
  XdpCapture& operator=(const XdpCapture&) = delete;

  int fd() const override;
  std::size_t read_some(const std::function<void(const CapturedFrame&)>& sink) override;
  std::uint64_t lost() const override;
  // The program and its rings live as long as the tap: it copies until the tap goes.
  std::string ended() const override { return {}; }

 private:
  struct PerfBufferDeleter {
    void operator()(perf_buffer* pb) const;
  };
  static void on_sample(void* self, int cpu, void* data, std::uint32_t size);
  static void on_lost(void* self, int cpu, __u64 count);

  XdpCaptureMaps maps_;
  std::unique_ptr<perf_buffer, PerfBufferDeleter> ring_;
  std::size_t next_buffer_ = 0;
  std::uint64_t lost_in_ring_ = 0;  // what the kernel reported lost (PERF_RECORD_LOST)
  const std::function<void(const CapturedFrame&)>* sink_ = nullptr;
  std::size_t taken_ = 0;
};

// Switches any capture off: a fresh start, an adopted program (a predecessor that died in the
// middle of a capture left it on). Returns whether it was on.
bool switch_capture_off(int config_map_fd);

}  // namespace anycastd
