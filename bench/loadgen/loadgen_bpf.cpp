// SPDX-License-Identifier: Apache-2.0
#include "loadgen_bpf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "lg_gen.skel.h"
#include "lg_recv.skel.h"

namespace anycastd::loadgen {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

}  // namespace

Generator::Generator() : skel_(lg_gen::open_and_load()) {
  if (!skel_) fail("loading the generator program (lg_gen)", errno);
}

Generator::~Generator() { lg_gen::destroy(skel_); }

int Generator::prog_fd() const { return bpf_program__fd(skel_->progs.lg_gen); }

std::vector<lg_gen_state> Generator::states() const {
  const std::uint32_t zero = 0;
  std::vector<lg_gen_state> s(static_cast<std::size_t>(libbpf_num_possible_cpus()));
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.lg_state), &zero, s.data()) != 0)
    fail("reading the generator's state", errno);
  return s;
}

void Generator::write_states(const std::vector<lg_gen_state>& s) {
  const std::uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.lg_state), &zero, s.data(), BPF_ANY) != 0)
    fail("writing the generator's state", errno);
}

void Generator::configure(const Template& t, std::uint64_t interval_ns) {
  const std::uint32_t zero = 0;
  config_ = t.config;
  config_.interval_ns = interval_ns;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.lg_cfg), &zero, &config_, BPF_ANY) != 0)
    fail("writing the generator plan", errno);
  const int vips = bpf_map__fd(skel_->maps.lg_vips);
  for (std::uint32_t i = 0; i < t.vips.size(); ++i)
    if (bpf_map_update_elem(vips, &i, &t.vips[i], BPF_ANY) != 0) fail("writing the VIP table", errno);
  // CPUs far apart in the sequence, so that threads on different CPUs send different flows.
  std::vector<lg_gen_state> s(static_cast<std::size_t>(libbpf_num_possible_cpus()));
  for (std::size_t c = 0; c < s.size(); ++c) s[c].seq = c * 0x9E3779B1u;
  write_states(s);
}

void Generator::set_sequence(std::uint64_t first) {
  auto s = states();
  for (auto& e : s) e.seq = first;
  write_states(s);
}

void Generator::set_quota(const std::vector<std::uint64_t>& quota) {
  auto s = states();
  for (std::size_t c = 0; c < s.size(); ++c) s[c].quota = c < quota.size() && quota[c] ? s[c].sent + quota[c] : 0;
  write_states(s);
}

std::vector<std::uint64_t> Generator::sent() const {
  std::vector<std::uint64_t> out;
  for (const auto& e : states()) out.push_back(e.sent);
  return out;
}

void Generator::set_tail_call(int prog_fd) {
  const std::uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.lg_next), &zero, &prog_fd, BPF_ANY) != 0)
    fail("putting the responder in the tail-call slot", errno);
  config_.tail_call = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.lg_cfg), &zero, &config_, BPF_ANY) != 0)
    fail("writing the generator plan", errno);
}

std::string Generator::live_frames_refusal(int ifindex) const {
  try {
    send(std::vector<std::uint8_t>(64, 0), ifindex, 0, 1, 1);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

void Generator::send(const std::vector<std::uint8_t>& frame, int ifindex, std::uint32_t queue, std::uint32_t count,
                     std::uint32_t batch) const {
  xdp_md ctx{};
  ctx.data_end = static_cast<__u32>(frame.size());
  ctx.ingress_ifindex = static_cast<__u32>(ifindex);
  ctx.rx_queue_index = queue;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<__u32>(frame.size()), .ctx_in = &ctx, .ctx_size_in = sizeof ctx,
              .repeat = static_cast<int>(count), .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = batch);
  if (bpf_prog_test_run_opts(prog_fd(), &opts) != 0) fail("BPF_PROG_TEST_RUN with live frames (BPF_F_TEST_XDP_LIVE_FRAMES)", errno);
}

Receiver::Receiver() : skel_(lg_recv::open_and_load()) {
  if (!skel_) fail("loading the receiver program (lg_recv)", errno);
}

Receiver::~Receiver() {
  if (ifindex_) {
    // Put back what was there: replacing keeps a veth's NAPI (and its threads, which a lab may
    // have pinned to CPUs) alive, where detaching would tear them down.
    const int previous = previous_id_ ? bpf_prog_get_fd_by_id(previous_id_) : -1;
    if (previous >= 0) {
      bpf_xdp_attach(ifindex_, previous, XDP_FLAGS_DRV_MODE, nullptr);
      close(previous);
    } else {
      bpf_xdp_detach(ifindex_, XDP_FLAGS_DRV_MODE, nullptr);
    }
  }
  lg_recv::destroy(skel_);
}

int Receiver::prog_fd() const { return bpf_program__fd(skel_->progs.lg_recv); }

void Receiver::configure(const lg_recv_config& c) {
  const std::uint32_t zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.lg_recv_cfg), &zero, &c, BPF_ANY) != 0)
    fail("writing the receiver's expectations", errno);
}

void Receiver::attach(int ifindex) {
  if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &previous_id_) != 0) previous_id_ = 0;
  if (bpf_xdp_attach(ifindex, prog_fd(), XDP_FLAGS_DRV_MODE, nullptr) != 0)
    fail("attaching the receiver (native XDP)", errno);
  ifindex_ = ifindex;
}

lg_recv_counts Receiver::counts() const {
  const std::uint32_t zero = 0;
  std::vector<lg_recv_counts> per_cpu(static_cast<std::size_t>(libbpf_num_possible_cpus()));
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.lg_counts), &zero, per_cpu.data()) != 0)
    fail("reading the receiver's counters", errno);
  lg_recv_counts sum{};
  for (const lg_recv_counts& c : per_cpu) {
    for (unsigned s = 0; s < LG_SERVICES; ++s) {
      sum.good[s] += c.good[s];
      sum.good_bytes[s] += c.good_bytes[s];
      sum.bad[s] += c.bad[s];
    }
    for (unsigned r = 0; r < LG_BAD_REASONS; ++r) sum.bad_reason[r] += c.bad_reason[r];
    sum.other += c.other;
  }
  return sum;
}

}  // namespace anycastd::loadgen
