// SPDX-License-Identifier: Apache-2.0
#include "base/version.h"

#include <cstring>

namespace anycastd {

static_assert(sizeof(ANYCASTD_VERSION) <= kVersionField, "the version does not fit its section");

// Not const, and with external linkage: the compiler must read the bytes the file holds at run
// time instead of using the initializer it saw, or a rewritten section would not be seen.
[[gnu::used, gnu::section(".anycastd_version")]] char anycastd_version_field[kVersionField] = ANYCASTD_VERSION;

std::string_view version() {
  return {anycastd_version_field, strnlen(anycastd_version_field, kVersionField)};
}

}  // namespace anycastd
