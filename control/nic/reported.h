// SPDX-License-Identifier: Apache-2.0
#pragma once

// One figure of a NIC report that the kernel or the driver may not give: a driver without an
// ethtool operation, a kernel older than the netdev family, a virtual device without IRQs. Such
// a figure says why it is missing instead of failing the whole report.

#include <optional>
#include <string>
#include <utility>

namespace anycastd::nic {

template <class T>
struct Reported {
  std::optional<T> value;
  std::string why_not;  // with no value: "not reported by the driver", "not a kernel interface" ...

  static Reported of(T v) { return Reported{std::move(v), {}}; }
  static Reported missing(std::string why) { return Reported{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

}  // namespace anycastd::nic
