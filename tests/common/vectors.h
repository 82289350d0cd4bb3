// SPDX-License-Identifier: Apache-2.0
#pragma once

// The test vectors gen_vectors.py writes at build time: one frame each, with the verdict and
// reply the spec calls for. Shared by the native and the BPF table tests.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "abi.h"
#include "hex.h"

namespace anycastd::test {

struct Vector {
  std::string name;
  std::string config;   // a name for make_tables()
  ac_action action;
  ac_pass_reason reason;  // AC_PASS_NONE when answered
  int service;          // enum ac_service when answered, -1 otherwise
  Bytes request;
  Bytes reply;          // empty when passed: the frame must come back as it went in
};

// Parses a vector file; throws std::runtime_error naming the file, line and field at fault.
std::vector<Vector> load_vectors(const std::string& path);

// The build's vector file (AC_TEST_VECTORS), loaded once.
const std::vector<Vector>& test_vectors();

// The frames larger than a page (AC_FRAGS_VECTORS, gen_vectors.py's FRAGS.tsv), loaded once: for
// a datapath that sees buffers, never for the native core.
const std::vector<Vector>& frags_vectors();

// "answer echo", "pass not_vip": a verdict in the words of the vector file, so a mismatch reads
// as two names. Anything inconsistent (an answer with a reason, a number out of range) is spelt
// out in full rather than hidden.
std::string describe_verdict(unsigned action, unsigned reason, unsigned service);
std::string describe(const Vector& v);

// So that GoogleTest prints a row by its name, not as a byte dump.
inline void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

// Each row becomes its own test named after it.
struct VectorName {
  std::string operator()(const testing::TestParamInfo<Vector>& info) const { return info.param.name; }
};

}  // namespace anycastd::test
