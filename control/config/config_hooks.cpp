// SPDX-License-Identifier: Apache-2.0
// [[hook]]: the commands run on the groups' state changes (docs/hooks.md). A hook that could
// not run is refused here, at --check, at start and at a reload, rather than failing at the
// first state change, which is when someone was counting on it.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/config_reader.h"

namespace anycastd::config_detail {
namespace {

constexpr std::int64_t kMaxHookTimeoutMs = 600'000;

// Why `path` cannot be executed as a hook, or "".
std::string not_executable(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (access(path.c_str(), X_OK) != 0) return std::string("not executable: ") + std::strerror(errno);
  return "";
}

}  // namespace

std::vector<HookConfig> read_hooks(const Reader& r, const toml::table& root, const Config& config) {
  std::vector<HookConfig> out;
  const toml::node* node = root.get("hook");
  if (!node) return out;
  if (!node->is_array()) r.wrong_type(*node, "hook", "an array of tables ([[hook]])");
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string at = "hook[" + std::to_string(i) + "]";
    if (!array[i].is_table()) r.wrong_type(array[i], at, "a table");
    const toml::table& t = *array[i].as_table();
    r.reject_unknown(t, at);
    HookConfig hook;

    const toml::array* command = r.optional_array(t, at, "command");
    if (!command)
      r.fail(t.source(), join(at, "command"),
             "missing (a required array: the program's absolute path, then its arguments)");
    std::vector<Where> where;
    hook.command = r.strings(*command, join(at, "command"), &where);
    if (hook.command.empty()) r.fail(command->source(), join(at, "command"), "is empty: name the program to run");
    for (std::size_t a = 0; a < hook.command.size(); ++a)
      if (hook.command[a].find('\0') != std::string::npos) r.fail(where[a], "contains a NUL byte");
    const std::string& program = hook.command[0];
    if (program[0] != '/')
      r.fail(where[0], quote(program) + " is not an absolute path (no PATH search, no shell: write "
                                        "[\"/bin/sh\", \"-c\", \"...\"] for one)");
    if (std::string why = not_executable(program); !why.empty()) r.fail(where[0], quote(program) + ": " + why);

    if (auto v = r.optional_integer(t, at, "timeout_ms", 1, kMaxHookTimeoutMs)) hook.timeout = Millis(*v);

    if (const toml::array* groups = r.optional_array(t, at, "groups")) {
      std::vector<Where> group_where;
      hook.groups = r.strings(*groups, join(at, "groups"), &group_where);
      if (hook.groups.empty())
        r.fail(groups->source(), join(at, "groups"), "is empty: leave the key out to run for every group");
      for (std::size_t g = 0; g < hook.groups.size(); ++g) {
        for (std::size_t h = 0; h < g; ++h)
          if (hook.groups[g] == hook.groups[h]) r.fail(group_where[g], quote(hook.groups[g]) + " is listed twice");
        bool known = std::any_of(config.groups.begin(), config.groups.end(),
                                 [&](const GroupConfig& c) { return c.name == hook.groups[g]; });
        if (!known) r.fail(group_where[g], "no group is named " + quote(hook.groups[g]));
      }
    }
    if (const toml::array* states = r.optional_array(t, at, "states")) {
      std::vector<Where> state_where;
      hook.states = r.strings(*states, join(at, "states"), &state_where);
      if (hook.states.empty())
        r.fail(states->source(), join(at, "states"), "is empty: leave the key out to run on every change");
      for (std::size_t s = 0; s < hook.states.size(); ++s) {
        for (std::size_t h = 0; h < s; ++h)
          if (hook.states[s] == hook.states[h]) r.fail(state_where[s], quote(hook.states[s]) + " is listed twice");
        if (std::find(std::begin(kHookStateNames), std::end(kHookStateNames), hook.states[s]) ==
            std::end(kHookStateNames)) {
          std::string names;
          for (std::string_view n : kHookStateNames) names += (names.empty() ? "" : ", ") + quote(n);
          r.fail(state_where[s], "unknown state " + quote(hook.states[s]) + " (a group's states: " + names + ")");
        }
      }
    }
    out.push_back(std::move(hook));
  }
  return out;
}

}  // namespace anycastd::config_detail
