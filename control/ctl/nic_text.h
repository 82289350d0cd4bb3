// SPDX-License-Identifier: Apache-2.0
#pragma once

// `anycastctl nic` for people: the daemon's NIC report (control/nic/nic_json.h) as one block per
// interface. Works from the JSON alone and tolerates missing or extra fields, as status_text does.

#include <string>

#include <nlohmann/json.hpp>

namespace anycastd::ctl {

// `nic` is the "nic" member of the daemon's reply: an array of interfaces.
std::string format_nic(const nlohmann::json& nic);

}  // namespace anycastd::ctl
