// SPDX-License-Identifier: Apache-2.0
#pragma once

// NIC profiles: starting values per driver, each with where it comes from. Nothing here was
// measured on the NIC itself (this project's machines have none): `verified` says so per
// profile, and docs/dpdk.md turns the table into a tuning guide.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "options.h"

namespace anycastd::dpdk {

struct Profile {
  const char* name;  // the ethdev driver name, or "default"
  std::uint16_t rx_descriptors;
  std::uint16_t tx_descriptors;
  std::uint16_t burst;
  bool rss;                // spread over queues with RSS when there are several
  bool rx_ip_checksum;     // use the NIC's IPv4 header checksum verdict where it offers one
  bool fast_free;          // RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE where offered
  const char* devargs;     // recommended devargs for the port (documentation: EAL args carry them)
  const char* notes;
  const char* source;
  const char* verified;    // "unverified here" unless measured here
};

std::span<const Profile> profiles();
const Profile* find_profile(std::string_view name);

// What the port runs with: the profile's values with the command line's overrides on top.
struct PortChoice {
  const Profile* profile;
  std::uint16_t rx_descriptors;
  std::uint16_t tx_descriptors;
  std::uint16_t burst;
  bool rss;
};

// `--profile auto` picks by driver (the default profile for an unknown one); a name forces that
// profile. Throws std::invalid_argument for an unknown name, listing the known ones (the command
// line already refuses one; Options built elsewhere get the same check).
PortChoice choose_port_settings(const Options& options, std::string_view driver);

}  // namespace anycastd::dpdk
