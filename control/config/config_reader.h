// SPDX-License-Identifier: Apache-2.0
#pragma once

// Internal to the configuration parser (config.cpp, config_groups.cpp): reading a toml++
// document so that every complaint names the file, the line and the key path. Not for other
// users: they get a Config from parse_config().

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_keys.h"

namespace anycastd::config_detail {

inline std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

// A value as the file spells it, in a message: "bird".
inline std::string quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

inline std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// A value as the file gave it: where, so that a later check across keys can still point at it.
struct Where {
  std::string path;
  toml::source_region region;
};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::source_region& where, std::string_view path, std::string_view what) const {
    std::ostringstream out;
    out << source_;
    if (where.begin.line != 0) out << ':' << where.begin.line;
    out << ": " << path << ": " << what;
    throw ConfigError(out.str());
  }
  [[noreturn]] void fail(const Where& where, std::string_view what) const { fail(where.region, where.path, what); }

  // toml++ accepts any key; a typo must not silently become a default, so every key is checked
  // against config_keys(). Restart-only values are noted on the way, for reload to name.
  void reject_unknown(const toml::table& table, std::string_view path) const {
    const std::string scope = key_scope(path);
    std::string expected;
    for (const ConfigKey& k : config_keys())
      if (k.table == scope) expected += (expected.empty() ? "" : ", ") + std::string(k.key);
    for (auto&& [key, value] : table) {
      const std::string_view name = key.str();  // clang 14 cannot capture a structured binding
      auto known = std::find_if(config_keys().begin(), config_keys().end(),
                                [&](const ConfigKey& k) { return k.table == scope && k.key == name; });
      if (known == config_keys().end())
        fail(key.source().begin.line ? key.source() : value.source(), join(path, key.str()),
             "unknown key (expected: " + expected + ")");
      if (known->change == KeyChange::restart && !value.is_table()) {
        std::ostringstream text;
        value.visit([&](const auto& v) { text << v; });
        restart_values_[join(path, key.str())] = text.str();
      }
    }
  }

  // What the restart-only keys were given as (toml text by key path), for Config::restart_values.
  std::map<std::string, std::string> take_restart_values() const { return std::move(restart_values_); }

  const toml::table& required_table(const toml::table& parent, std::string_view path,
                                    std::string_view key) const {
    const toml::table* table = optional_table(parent, path, key);
    if (!table) fail(parent.source(), join(path, key), "missing (a required table)");
    return *table;
  }

  const toml::table* optional_table(const toml::table& parent, std::string_view path,
                                    std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_table()) wrong_type(*node, join(path, key), "a table");
    return node->as_table();
  }

  std::optional<std::string> optional_string(const toml::table& parent, std::string_view path,
                                             std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    return string_of(*node, join(path, key));
  }

  std::string required_string(const toml::table& parent, std::string_view path, std::string_view key) const {
    auto value = optional_string(parent, path, key);
    if (!value) fail(parent.source(), join(path, key), "missing (a required string)");
    return *value;
  }

  std::string string_of(const toml::node& node, const std::string& path) const {
    if (!node.is_string()) wrong_type(node, path, "a string");
    return node.as_string()->get();
  }

  std::optional<bool> optional_bool(const toml::table& parent, std::string_view path, std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    if (!node->is_boolean()) wrong_type(*node, join(path, key), "a boolean");
    return node->as_boolean()->get();
  }

  std::optional<std::int64_t> optional_integer(const toml::table& parent, std::string_view path,
                                               std::string_view key, std::int64_t min, std::int64_t max) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    if (!node->is_integer()) wrong_type(*node, join(path, key), "an integer");
    std::int64_t value = node->as_integer()->get();
    if (value < min || value > max)
      fail(node->source(), join(path, key),
           std::to_string(value) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    return value;
  }

  // An integer or a floating-point number, as a double.
  std::optional<double> optional_number(const toml::table& parent, std::string_view path, std::string_view key,
                                        double min, double max) const {
    const toml::node* node = parent.get(key);
    if (!node) return std::nullopt;
    double value;
    if (node->is_integer()) value = static_cast<double>(node->as_integer()->get());
    else if (node->is_floating_point()) value = node->as_floating_point()->get();
    else wrong_type(*node, join(path, key), "a number");
    if (!(value >= min && value <= max)) {
      std::ostringstream out;
      out << value << " is out of range (" << min << " to " << max << ")";
      fail(node->source(), join(path, key), out.str());
    }
    return value;
  }

  const toml::array* optional_array(const toml::table& parent, std::string_view path, std::string_view key) const {
    const toml::node* node = parent.get(key);
    if (!node) return nullptr;
    if (!node->is_array()) wrong_type(*node, join(path, key), "an array");
    return node->as_array();
  }

  // An array of strings; `where` gets each element's position.
  std::vector<std::string> strings(const toml::array& array, const std::string& path,
                                   std::vector<Where>* where = nullptr) const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array.size(); ++i) {
      std::string element_path = path + "[" + std::to_string(i) + "]";
      out.push_back(string_of(array[i], element_path));
      if (where) where->push_back({element_path, array[i].source()});
    }
    return out;
  }

  // A list of addresses or prefixes; `where` gets each element's position for later messages.
  // `parse` is parse_prefix, or parse_interface_address for an interface's own addresses.
  std::vector<Prefix> prefixes(const toml::array& array, const std::string& path,
                               std::vector<Where>* where = nullptr,
                               Prefix (*parse)(std::string_view) = parse_prefix) const {
    std::vector<Prefix> out;
    for (std::size_t i = 0; i < array.size(); ++i) {
      const toml::node& element = array[i];
      std::string element_path = path + "[" + std::to_string(i) + "]";
      std::string text = string_of(element, element_path);
      try {
        out.push_back(parse(text));
      } catch (const std::invalid_argument& e) {
        fail(element.source(), element_path, e.what());
      }
      if (where) where->push_back({element_path, element.source()});
    }
    return out;
  }

  // A file the daemon opens by name: relative to what would depend on the directory it was
  // started in. `off_if_empty`: "" is accepted and means the feature is off.
  std::optional<std::string> optional_path(const toml::table& parent, std::string_view path, std::string_view key,
                                           bool off_if_empty) const {
    auto value = optional_string(parent, path, key);
    if (!value || (value->empty() && off_if_empty)) return value;
    if (value->empty() || (*value)[0] != '/' || value->find('\0') != std::string::npos)
      fail(parent.get(key)->source(), join(path, key),
           "\"" + *value + "\" is not an absolute path" + (off_if_empty ? " (\"\" turns it off)" : ""));
    return value;
  }

  [[noreturn]] void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) const {
    fail(node.source(), path, "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
  }

 private:
  std::string source_;
  mutable std::map<std::string, std::string> restart_values_;
};

// config_groups.cpp: [health], [route], [[group]] (or the flat form's single group) and the VIPs
// of all of them, checked together. Fills config.health, .route, .groups and .anycast.addresses;
// needs .datapath, .services and .anycast.loopback read already.
void read_groups(const Reader& r, const toml::table& root, Config& config);

// config_hooks.cpp: [[hook]]. Needs .groups read already (a hook names the groups it runs for).
std::vector<HookConfig> read_hooks(const Reader& r, const toml::table& root, const Config& config);

}  // namespace anycastd::config_detail
