// SPDX-License-Identifier: Apache-2.0
#include "nic/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anycastd::nic {
namespace {

// The driver's fixed-size strings are NUL-terminated, but a buggy one may fill them.
template <std::size_t N>
std::string text(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

}  // namespace

std::string why_not_reported(int error) {
  if (error == EOPNOTSUPP) return "not reported by the driver";
  if (error == ENODEV) return "not reported: the interface is gone";
  return std::string("not reported: ") + std::strerror(error);
}

Ethtool::Ethtool(std::string interface)
    : interface_(std::move(interface)), socket_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  if (!socket_) throw std::runtime_error(std::string("opening a socket for ethtool: ") + std::strerror(errno));
}

int Ethtool::ask(void* command) const {
  ifreq request{};
  if (interface_.size() >= sizeof request.ifr_name) return ENODEV;
  std::memcpy(request.ifr_name, interface_.data(), interface_.size());
  request.ifr_data = static_cast<char*>(command);
  return ::ioctl(socket_.get(), SIOCETHTOOL, &request) == 0 ? 0 : errno;
}

Reported<DriverInfo> Ethtool::driver_info() const {
  ethtool_drvinfo info{};
  info.cmd = ETHTOOL_GDRVINFO;
  if (int error = ask(&info)) return Reported<DriverInfo>::missing(why_not_reported(error));
  return Reported<DriverInfo>::of({text(info.driver), text(info.version), text(info.fw_version), text(info.bus_info)});
}

Reported<Channels> Ethtool::channels() const {
  ethtool_channels c{};
  c.cmd = ETHTOOL_GCHANNELS;
  if (int error = ask(&c)) return Reported<Channels>::missing(why_not_reported(error));
  return Reported<Channels>::of({c.rx_count, c.tx_count, c.other_count, c.combined_count, c.max_rx, c.max_tx,
                                 c.max_other, c.max_combined});
}

Reported<Rings> Ethtool::rings() const {
  ethtool_ringparam r{};
  r.cmd = ETHTOOL_GRINGPARAM;
  if (int error = ask(&r)) return Reported<Rings>::missing(why_not_reported(error));
  return Reported<Rings>::of({r.rx_pending, r.tx_pending, r.rx_max_pending, r.tx_max_pending});
}

Reported<std::uint32_t> Ethtool::mtu() const {
  ifreq request{};
  if (interface_.size() >= sizeof request.ifr_name) return Reported<std::uint32_t>::missing(why_not_reported(ENODEV));
  std::memcpy(request.ifr_name, interface_.data(), interface_.size());
  if (::ioctl(socket_.get(), SIOCGIFMTU, &request) != 0) return Reported<std::uint32_t>::missing(why_not_reported(errno));
  return Reported<std::uint32_t>::of(static_cast<std::uint32_t>(request.ifr_mtu));
}

}  // namespace anycastd::nic
