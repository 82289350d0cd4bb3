// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_datapath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

namespace anycastd {
namespace {

// BPF_PROG_TEST_RUN on our loaded program: its maps are the live tables. The attachment is
// compared by id on the interface, so someone detaching or replacing it is seen.
class XdpProbe final : public DatapathProbe {
 public:
  XdpProbe(std::shared_ptr<XdpProgram> program, Interface nic) : program_(std::move(program)), nic_(std::move(nic)) {}

  InPlace in_place() override {
    XdpAttached attached;
    try {
      attached = attached_xdp(nic_);
    } catch (const std::runtime_error& e) {
      return {false, e.what()};
    }
    std::uint32_t ours = program_->prog_id();
    if (attached.mode == XDP_ATTACHED_NONE)
      return {false, "no XDP program on " + nic_.name + " (ours was prog id " + std::to_string(ours) + ")"};
    if (attached.prog_id != ours)
      return {false, "XDP program on " + nic_.name + " is prog id " + std::to_string(attached.prog_id) +
                         ", not ours (" + std::to_string(ours) + ")"};
    return {true, "prog id " + std::to_string(ours) + " attached"};
  }

  ProbeRun run(const std::vector<std::uint8_t>& frame) override {
    ProbeRun r;
    std::vector<std::uint8_t> out(frame.size() + 256);
    bpf_test_run_opts run{};
    run.sz = sizeof run;
    run.data_in = frame.data();
    run.data_size_in = static_cast<__u32>(frame.size());
    run.data_out = out.data();
    run.data_size_out = static_cast<__u32>(out.size());
    run.repeat = 1;
    if (int err = bpf_prog_test_run_opts(program_->prog_fd(), &run); err < 0) {
      r.error = "BPF_PROG_TEST_RUN: " + std::string(std::strerror(-err));
      return r;
    }
    r.answered = run.retval == XDP_TX;
    if (!r.answered) r.verdict = "XDP verdict " + std::to_string(run.retval);
    out.resize(run.data_size_out);
    r.frame = std::move(out);
    return r;
  }

 private:
  std::shared_ptr<XdpProgram> program_;
  Interface nic_;
};

}  // namespace

XdpDatapath::XdpDatapath(const DatapathConfig& config, bool adopt) : config_(config) {
  nic_ = find_interface(config.interface);
  lock_.emplace("xdp", nic_.name);
  XdpLoadOptions load;
  load.vip_max_entries = config.vip_max_entries;
  load.allow_max_entries = config.allow_max_entries;
  if (adopt) {
    try {
      load.reuse_maps_of_prog_id = attached_xdp(nic_).prog_id;
    } catch (const std::runtime_error& e) {
      spdlog::warn("{}: loading with fresh maps", e.what());
    }
  }
  program_ = std::make_shared<XdpProgram>(load);
  probe_ = std::make_shared<XdpProbe>(program_, nic_);
}

XdpDatapath::~XdpDatapath() {
  if (attachment_) program_->set_answering(false);
  attachment_.reset();
}

void XdpDatapath::activate() { attachment_.emplace(nic_, program_->prog_fd(), config_.xdp_mode); }

void XdpDatapath::write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) {
  XdpDnsTableMaps sizes = program_->write_dns_table(*image);
  spdlog::info("XDP DNS maps: {} entries, {} arena chunks of {} bytes, {} zones", sizes.entries, sizes.chunks,
               AC_DNS_CHUNK, sizes.zones);
}

std::string XdpDatapath::summary() {
  if (!attachment_) return "interface " + nic_.name + " (xdp, not attached)";
  const XdpAttachment& a = *attachment_;
  return fmt::format("interface {} (xdp {}, prog id {}{})", nic_.name, to_string(a.mode()), a.prog_id(),
                     a.replaced_prog_id() ? ", replaced prog id " + std::to_string(a.replaced_prog_id()) : "");
}

DatapathStatus XdpDatapath::describe() {
  DatapathStatus status;
  status.kind = "xdp";
  status.interface = nic_.name;
  status.xdp_mode = attachment_ ? std::string(to_string(attachment_->mode())) : "";
  status.prog_id = attachment_ ? attachment_->prog_id() : 0;
  return status;
}

}  // namespace anycastd
