// SPDX-License-Identifier: Apache-2.0
#include "eal_env.h"

#include <unistd.h>

#include <memory>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "port.h"

namespace anycastd::test {
namespace {

struct Eal {
  std::string prefix = "ac_dpdk_test_" + std::to_string(getpid());
  std::string error;
  std::unique_ptr<dpdk::Eal> eal;
  Eal() {
    try {
      eal = std::make_unique<dpdk::Eal>(std::vector<std::string>{
          "--no-huge", "-m", "1024", "--no-pci", "--file-prefix=" + prefix, "-l", "0", "--log-level=lib.eal:error"});
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  // After main returns: EAL cleaned up, then the runtime directory it leaves behind.
  ~Eal() { reset(); }
  static Eal& instance();
  void reset() {
    eal.reset();
    std::error_code ec;
    std::filesystem::remove_all("/var/run/dpdk/" + prefix, ec);
  }
};

Eal& Eal::instance() {
  static Eal e;
  return e;
}

}  // namespace

const std::string& eal_error() { return Eal::instance().error; }
const std::string& eal_file_prefix() { return Eal::instance().prefix; }

}  // namespace anycastd::test
