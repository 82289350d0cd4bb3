// SPDX-License-Identifier: Apache-2.0
#pragma once

// DaemonStatus in Prometheus' text exposition format 0.0.4: what MetricsServer serves on
// GET /metrics. docs/anycastctl.md lists the metrics.

#include <string>
#include <string_view>

#include "status/status.h"

namespace anycastd::metrics {

// Every family, with HELP and TYPE, in a fixed order; each family's samples together, as the
// format requires. A family with no samples (no groups yet) keeps its HELP and TYPE lines.
std::string render_metrics(const DaemonStatus& status);

// A label value as the format wants it inside its double quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace anycastd::metrics
