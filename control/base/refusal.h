// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a check, a reload or a write returns when it can be refused: nothing, or the reason, for
// the operator. Whether it was refused is kept apart from the text, so that an empty reason
// cannot pass for success. Reads as
//   if (Refusal refused = reload()) spdlog::error("{}", refused.why());

#include <string>
#include <utility>

namespace anycastd {

class [[nodiscard]] Refusal {
 public:
  static Refusal none() { return Refusal(); }
  static Refusal because(std::string why) { return Refusal(std::move(why)); }

  explicit operator bool() const { return refused_; }
  // "" for none: status fields that name a reason carry it as is.
  const std::string& why() const { return why_; }

  bool operator==(const Refusal&) const = default;

 private:
  Refusal() = default;
  explicit Refusal(std::string why) : refused_(true), why_(std::move(why)) {}

  bool refused_ = false;
  std::string why_;
};

}  // namespace anycastd
