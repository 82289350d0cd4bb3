// SPDX-License-Identifier: Apache-2.0
#pragma once

// The native reference env's verdict on a frame, as the differential tests compare it with a
// datapath's: "answer" or "pass.<reason>".

#include <string>
#include <vector>

#include "native_env.h"

namespace anycastd::test {

inline std::string native_verdict(const FastpathTables& tables, std::vector<std::uint8_t> frame) {
  ac_env env{&tables};
  ac_headers h;
  ac_verdict v = ac_decide(&env, frame.data(), frame.data() + frame.size(), &h);
  return v.action == AC_ACT_ANSWER ? "answer" : std::string("pass.") + ac_pass_reason_names[v.reason];
}

}  // namespace anycastd::test
