// SPDX-License-Identifier: Apache-2.0
#pragma once

// The two BPF programs of the load generator, loaded and owned (RAII): the generator (lg_gen.c)
// with its plan written, and the receiver (lg_recv.c) with its counters read and its attachment
// to an interface undone when it goes.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadgen_abi.h"
#include "templates.h"

struct lg_gen;
struct lg_recv;

namespace anycastd::loadgen {

class Generator {
 public:
  Generator();  // loads; throws std::runtime_error naming the failure
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Plan and VIPs; resets every CPU's state (frame numbers far apart, nothing sent, no quota).
  // interval_ns > 0 paces each CPU to one frame per interval.
  void configure(const Template& t, std::uint64_t interval_ns = 0);
  // Every CPU's frame number starts at `first` (tests: a known frame).
  void set_sequence(std::uint64_t first);
  // Each CPU stops handing frames on after quota[cpu] (0: no limit) more than it has sent.
  void set_quota(const std::vector<std::uint64_t>& quota);
  std::vector<std::uint64_t> sent() const;  // per CPU, since configure()
  void set_tail_call(int prog_fd);  // frames go to this program instead of out of the interface
  int prog_fd() const;

  // Empty where the kernel runs this program on live frames, else its refusal ("BPF_PROG_TEST_RUN
  // with live frames: Operation not permitted"). Call it before configure(): the unconfigured
  // program aborts every frame, so the probe sends nothing.
  std::string live_frames_refusal(int ifindex) const;

  // Runs the program `count` times on `frame` in live-frame mode as if received on `ifindex`
  // (queue `queue`), `batch` (1..256) at a time: every frame it hands on leaves through
  // `ifindex`. Fewer leave when paced or past the quota. Throws std::runtime_error on failure.
  void send(const std::vector<std::uint8_t>& frame, int ifindex, std::uint32_t queue, std::uint32_t count,
            std::uint32_t batch) const;

 private:
  lg_gen* skel_;
  lg_gen_config config_{};
  std::vector<lg_gen_state> states() const;
  void write_states(const std::vector<lg_gen_state>& s);
};

class Receiver {
 public:
  Receiver();
  ~Receiver();  // puts back the program the interface had (or none)
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  void configure(const lg_recv_config& c);
  void attach(int ifindex);  // native XDP, in place of whatever program the interface had
  int prog_fd() const;
  lg_recv_counts counts() const;  // summed over CPUs

 private:
  lg_recv* skel_;
  int ifindex_ = 0;
  std::uint32_t previous_id_ = 0;  // the program attached before ours, put back at the end
};

}  // namespace anycastd::loadgen
