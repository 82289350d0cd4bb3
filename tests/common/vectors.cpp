// SPDX-License-Identifier: Apache-2.0
#include "vectors.h"

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace anycastd::test {

namespace {

template <std::size_t N>
int index_of(const char* const (&names)[N], const std::string& name) {
  for (std::size_t i = 0; i < N; ++i)
    if (name == names[i]) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
    fields.push_back(line.substr(start, tab - start));
  fields.push_back(line.substr(start));
  return fields;
}

}  // namespace

std::vector<Vector> load_vectors(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open test vectors " + path + " (built by gen_vectors.py)");
  std::vector<Vector> rows;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + why);
    };
    auto f = split_tabs(line);
    if (f.size() != 7) fail("expected 7 tab-separated fields, found " + std::to_string(f.size()));
    Vector v;
    v.name = f[0];
    v.config = f[1];
    int action = index_of(ac_action_names, f[2]);
    int reason = index_of(ac_pass_reason_names, f[3]);
    if (action < 0) fail("unknown action \"" + f[2] + "\"");
    if (reason < 0) fail("unknown pass reason \"" + f[3] + "\"");
    v.action = static_cast<ac_action>(action);
    v.reason = static_cast<ac_pass_reason>(reason);
    v.service = f[4] == "-" ? -1 : index_of(ac_service_names, f[4]);
    if (f[4] != "-" && v.service < 0) fail("unknown service \"" + f[4] + "\"");
    if ((v.action == AC_ACT_ANSWER) != (v.reason == AC_PASS_NONE) ||
        (v.action == AC_ACT_ANSWER) != (v.service >= 0) || (v.action == AC_ACT_ANSWER) != (f[6] != "-"))
      fail("an answer needs reason none, a service and a reply; a pass needs none of them");
    try {
      v.request = from_hex(f[5]);
      if (f[6] != "-") v.reply = from_hex(f[6]);
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    }
    rows.push_back(std::move(v));
  }
  if (rows.empty()) throw std::runtime_error("no test vectors in " + path);
  return rows;
}

const std::vector<Vector>& test_vectors() {
  static const std::vector<Vector> rows = load_vectors(AC_TEST_VECTORS);
  return rows;
}

const std::vector<Vector>& frags_vectors() {
  static const std::vector<Vector> rows = load_vectors(AC_FRAGS_VECTORS);
  return rows;
}

std::string describe_verdict(unsigned action, unsigned reason, unsigned service) {
  auto name = [](auto& names, unsigned i, const char* what) {
    return i < std::size(names) ? std::string(names[i]) : what + std::string("#") + std::to_string(i);
  };
  if (action == AC_ACT_PASS) return "pass " + name(ac_pass_reason_names, reason, "reason");
  std::string out = name(ac_action_names, action, "action") + " " + name(ac_service_names, service, "service");
  if (reason != AC_PASS_NONE) out += " with reason " + name(ac_pass_reason_names, reason, "reason");
  return out;
}

std::string describe(const Vector& v) {
  return describe_verdict(v.action, v.reason, v.service < 0 ? 0 : static_cast<unsigned>(v.service));
}

}  // namespace anycastd::test
