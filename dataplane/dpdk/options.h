// SPDX-License-Identifier: Apache-2.0
#pragma once

// anycastd-dpdk's command line. Pure parsing, no DPDK: what comes after `--` is handed to EAL
// untouched.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace anycastd::dpdk {

enum class ExceptionKind { automatic, tap, virtio_user };

const char* exception_kind_name(ExceptionKind kind);

struct Options {
  bool help = false;
  bool version = false;
  int channel_fd = -1;
  ExceptionKind exception = ExceptionKind::automatic;
  // One per port, in the order EAL probes the ports (port ids 0, 1, ...): each uplink's traffic
  // reaches the kernel on an interface of its own, so the kernel's replies route out of it.
  // --exception-interface once per port; none given: {"ac0"}.
  std::vector<std::string> exception_interfaces;
  std::string profile = "auto";
  // Unset: the NIC profile decides.
  std::optional<std::uint16_t> rx_descriptors;
  std::optional<std::uint16_t> tx_descriptors;
  std::optional<std::uint16_t> burst;
  std::uint32_t idle_sleep_us = 100;  // 0: busy poll
  bool no_rss = false;
  std::vector<std::string> eal_args;  // after `--`
};

inline constexpr std::uint16_t kMaxBurst = 256;
inline constexpr std::uint32_t kMaxIdleSleepUs = 100000;
// Ports one datapath drives (channel::kMaxPorts: the hello carries each).
inline constexpr std::size_t kMaxPorts = 8;

// Throws std::invalid_argument with a message naming the flag and what is wrong with it.
Options parse_options(const std::vector<std::string>& args);  // args without argv[0]

std::string usage();

// A kernel interface name usable in devargs: 1..15 characters, none of "/,=:" or whitespace.
bool valid_interface_name(const std::string& name);

}  // namespace anycastd::dpdk
