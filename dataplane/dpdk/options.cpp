// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include "profiles.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace anycastd::dpdk {
namespace {

std::uint64_t number(const std::string& flag, const std::string& text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw std::invalid_argument(flag + ": \"" + text + "\" is not a number");
  if (value < min || value > max)
    throw std::invalid_argument(flag + ": " + text + " is out of range (" + std::to_string(min) + ".." +
                                std::to_string(max) + ")");
  return value;
}

}  // namespace

const char* exception_kind_name(ExceptionKind kind) {
  switch (kind) {
    case ExceptionKind::tap: return "tap";
    case ExceptionKind::virtio_user: return "virtio_user";
    case ExceptionKind::automatic: break;
  }
  return "auto";
}

bool valid_interface_name(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (c == '/' || c == ',' || c == '=' || c == ':' || c <= ' ' || c > '~') return false;
  return true;
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  bool have_fd = false;
  std::size_t i = 0;
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.eal_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "-V" || a == "--version") {
      o.version = true;
    } else if (a == "--channel-fd") {
      o.channel_fd = static_cast<int>(number(a, value(a), 0, 1 << 20));
      have_fd = true;
    } else if (a == "--exception") {
      std::string v = value(a);
      if (v == "auto") o.exception = ExceptionKind::automatic;
      else if (v == "tap") o.exception = ExceptionKind::tap;
      else if (v == "virtio_user") o.exception = ExceptionKind::virtio_user;
      else throw std::invalid_argument("--exception: \"" + v + "\" is none of auto, tap, virtio_user");
    } else if (a == "--exception-interface") {
      std::string name = value(a);
      if (!valid_interface_name(name))
        throw std::invalid_argument("--exception-interface: \"" + name +
                                    "\" is not an interface name (1 to 15 characters, no '/', ',', '=', ':' or spaces)");
      if (std::find(o.exception_interfaces.begin(), o.exception_interfaces.end(), name) != o.exception_interfaces.end())
        throw std::invalid_argument("--exception-interface: \"" + name +
                                    "\" is given twice (each port needs an interface of its own)");
      if (o.exception_interfaces.size() == kMaxPorts)
        throw std::invalid_argument("--exception-interface: more than " + std::to_string(kMaxPorts) +
                                    " given (one per port, at most " + std::to_string(kMaxPorts) + " ports)");
      o.exception_interfaces.push_back(name);
    } else if (a == "--profile") {
      o.profile = value(a);
      if (o.profile != "auto" && !find_profile(o.profile)) {
        std::string known;
        for (const Profile& p : profiles()) known += ", " + std::string(p.name);
        throw std::invalid_argument("--profile: no profile named \"" + o.profile + "\" (known: auto" + known + ")");
      }
    } else if (a == "--rx-descriptors") {
      o.rx_descriptors = static_cast<std::uint16_t>(number(a, value(a), 32, 32768));
    } else if (a == "--tx-descriptors") {
      o.tx_descriptors = static_cast<std::uint16_t>(number(a, value(a), 32, 32768));
    } else if (a == "--burst") {
      o.burst = static_cast<std::uint16_t>(number(a, value(a), 1, kMaxBurst));
    } else if (a == "--idle-sleep-us") {
      o.idle_sleep_us = static_cast<std::uint32_t>(number(a, value(a), 0, kMaxIdleSleepUs));
    } else if (a == "--no-rss") {
      o.no_rss = true;
    } else {
      throw std::invalid_argument("unknown argument \"" + a + "\" (EAL arguments go after --; see --help)");
    }
  }
  if (o.help || o.version) return o;
  if (o.exception_interfaces.empty()) o.exception_interfaces.push_back("ac0");
  if (!have_fd) throw std::invalid_argument("--channel-fd is required (the datapath channel from anycastd)");
  if (o.eal_args.empty())
    throw std::invalid_argument("no EAL arguments after --: the port must be given to EAL (e.g. --vdev=net_af_xdp0,iface=eth0, or a PCI address)");
  return o;
}

std::string usage() {
  return R"(usage: anycastd-dpdk --channel-fd N [options] -- EAL-ARGS...

The DPDK datapath of anycastd, started and supervised by anycastd (datapath.kind = "dpdk"). It
answers on the ports EAL probes from EAL-ARGS (up to 8) and carries everything else to and from
a kernel interface per port (the exception path). The main lcore serves the channel; every other
lcore polls one RX/TX queue pair of one port, the workers split evenly over the ports.

options:
  --channel-fd N             the SOCK_SEQPACKET channel to anycastd (required)
  --exception KIND           auto (default: virtio_user if /dev/vhost-net exists, else tap), tap,
                             virtio_user
  --exception-interface NAME the kernel interface carrying the port's MAC (default ac0); once per
                             port, in the order EAL probes the ports
  --profile NAME             auto (default: by the port's driver) or a profile name: net_mlx5,
                             net_i40e, net_ice, net_ixgbe, net_virtio, net_af_xdp, net_af_packet,
                             default
  --rx-descriptors N         RX ring size per queue (overrides the profile; 32..32768)
  --tx-descriptors N         TX ring size per queue (overrides the profile; 32..32768)
  --burst N                  packets per RX burst (overrides the profile; 1..256)
  --idle-sleep-us N          longest back-off sleep after empty polls (default 100; 0: busy poll)
  --no-rss                   no RSS even with several queues
  -h, --help                 this text
  -V, --version              the version

EAL-ARGS example (no hugepages, an AF_XDP port on eth0, two lcores):
  --no-huge -m 1024 --no-pci --file-prefix=ac --vdev=net_af_xdp0,iface=eth0 -l 0-1
)";
}

}  // namespace anycastd::dpdk
