// SPDX-License-Identifier: Apache-2.0
#include "nic/irqs.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <system_error>

namespace anycastd::nic {
namespace {

std::string read_affinity(const std::filesystem::path& proc, unsigned irq) {
  std::ifstream in(proc / "irq" / std::to_string(irq) / "smp_affinity_list");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

Reported<std::vector<Irq>> device_irqs(const std::string& interface, const std::filesystem::path& sys,
                                       const std::filesystem::path& proc) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path device = sys / "class" / "net" / interface / "device";
  if (!fs::exists(device, ec)) return Reported<std::vector<Irq>>::missing("none: a virtual device (no device behind it)");
  std::vector<Irq> irqs;
  for (const fs::directory_entry& entry : fs::directory_iterator(device / "msi_irqs", ec)) {
    std::string name = entry.path().filename().string();
    unsigned number = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (err != std::errc() || end != name.data() + name.size()) continue;
    irqs.push_back({number, read_affinity(proc, number)});
  }
  if (irqs.empty()) return Reported<std::vector<Irq>>::missing("not reported: no MSI interrupts listed for the device");
  std::sort(irqs.begin(), irqs.end(), [](const Irq& a, const Irq& b) { return a.number < b.number; });
  return Reported<std::vector<Irq>>::of(std::move(irqs));
}

}  // namespace anycastd::nic
