// SPDX-License-Identifier: Apache-2.0
#pragma once

// A worker's capture ring (docs/capture.md): fixed slots, each a struct ac_capture_meta and room
// for one whole frame, written by the worker alone and read by the main lcore alone (single
// producer, single consumer). Allocated with the worker, so a capture allocates nothing on the
// packet path; a full ring (or a frame longer than a slot) is counted lost, never waited for.
//
// Which frames go in is decided elsewhere (worker.cpp, with the capture's filter); the ring
// neither knows nor cares whether a capture is on.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>

#include "abi.h"

namespace anycastd::dpdk {

// 256 slots of 2 KiB and a bit: 528 KiB per worker. Control reads every 25 ms, so a worker copies
// about 10,000 frames a second (5,000 answered requests) before one is lost.
inline constexpr std::uint32_t kCaptureSlots = 256;
// The largest frame one mbuf of the pool holds (RTE_MBUF_DEFAULT_DATAROOM, checked in worker.cpp):
// every frame the worker answers, as it came and as it leaves, fits in a slot.
inline constexpr std::uint32_t kCaptureFrameMax = 2048;

struct CaptureSlot {
  ac_capture_meta meta;
  std::uint8_t frame[kCaptureFrameMax];
};

class CaptureRing {
 public:
  CaptureRing() : slots_(std::make_unique<CaptureSlot[]>(kCaptureSlots)) {}
  CaptureRing(const CaptureRing&) = delete;
  CaptureRing& operator=(const CaptureRing&) = delete;

  // Worker side: copies `frame` into the next slot, or counts it lost.
  void push(const std::uint8_t* frame, std::uint32_t len, std::uint8_t kind, std::uint8_t service,
            std::uint64_t mono_ns) {
    const std::uint32_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == kCaptureSlots || len > kCaptureFrameMax) {
      lost_.store(lost_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return;
    }
    CaptureSlot& slot = slots_[head % kCaptureSlots];
    slot.meta = ac_capture_meta{mono_ns, len, kind, service, 0};
    std::memcpy(slot.frame, frame, len);
    head_.store(head + 1, std::memory_order_release);  // the slot's bytes before the index
  }

  // Main lcore side: the oldest frame waiting (nullptr: none), valid until pop().
  const CaptureSlot* front() const {
    const std::uint32_t tail = tail_.load(std::memory_order_relaxed);
    return head_.load(std::memory_order_acquire) == tail ? nullptr : &slots_[tail % kCaptureSlots];
  }
  void pop() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  // Drops whatever waits (left by an earlier capture).
  void clear() { tail_.store(head_.load(std::memory_order_acquire), std::memory_order_release); }

  // Frames lost since the ring was made: a reader takes differences.
  std::uint64_t lost() const { return lost_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<CaptureSlot[]> slots_;
  // The producer's line and the consumer's apart, so neither side's writes bounce the other's.
  alignas(64) std::atomic<std::uint32_t> head_{0};
  std::atomic<std::uint64_t> lost_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
};

}  // namespace anycastd::dpdk
