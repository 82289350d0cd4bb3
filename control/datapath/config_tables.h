// SPDX-License-Identifier: Apache-2.0
#pragma once

// The translation of a configuration into what the fast path is told (datapath/tables.h, which
// the DPDK process shares and which therefore knows nothing of the configuration).

#include "config/config.h"
#include "tables/fastpath_tables.h"

namespace anycastd {

// Each VIP carries its group's services (vip value .group = the group's index in config.groups)
// and answers; a service with an allow list is restricted to it.
FastpathTables build_tables(const Config& config);

}  // namespace anycastd
