// SPDX-License-Identifier: Apache-2.0
#pragma once

// NIC reports as JSON: the control socket's `nic` reply ({"ok":true,"nic":[<this>...]}) and the
// status JSON's "nic" field. A figure that is not reported is {"not_reported":"why"} in place
// of its value. docs/anycastctl.md lists the fields.

#include <vector>

#include <nlohmann/json.hpp>

#include "nic/nic_report.h"

namespace anycastd::nic {

nlohmann::json to_json(const NicReport& report);
nlohmann::json to_json(const std::vector<NicReport>& reports);

}  // namespace anycastd::nic
