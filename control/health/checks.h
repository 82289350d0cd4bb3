// SPDX-License-Identifier: Apache-2.0
#pragma once

// Health checks of a group. Each runs to completion within its timeout and reports what it saw,
// so a hung service makes a failed check, never a hung daemon.

#include <chrono>
#include <memory>
#include <string>

#include "base/prefix.h"

namespace anycastd {

struct CheckResult {
  bool ok = false;
  std::string detail;  // what was seen, for status and logs
  std::chrono::microseconds latency{0};
};

class Check {
 public:
  virtual ~Check() = default;
  virtual CheckResult run() = 0;
  virtual std::string describe() const = 0;
};

// A TCP connection to a port on a VIP: the kernel service behind the loopback alias answers.
class TcpCheck final : public Check {
 public:
  TcpCheck(Prefix address, unsigned port, std::chrono::milliseconds timeout)
      : address_(address), port_(port), timeout_(timeout) {}
  CheckResult run() override;
  std::string describe() const override;

 private:
  Prefix address_;  // a host prefix
  unsigned port_;
  std::chrono::milliseconds timeout_;
};

// An operator's command through /bin/sh: exit status 0 is healthy. On timeout its whole process
// group is killed, so a shell pipeline cannot leave stragglers behind.
class ExecCheck final : public Check {
 public:
  ExecCheck(std::string command, std::chrono::milliseconds timeout)
      : command_(std::move(command)), timeout_(timeout) {}
  CheckResult run() override;
  std::string describe() const override;

 private:
  std::string command_;
  std::chrono::milliseconds timeout_;
};

}  // namespace anycastd
