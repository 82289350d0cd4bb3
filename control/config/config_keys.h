// SPDX-License-Identifier: Apache-2.0
#pragma once

// Every key of the configuration file, once: the parser accepts what is listed here and nothing
// else, a reload refuses a change to a restart-only key by its name, `anycastd --list-keys`
// prints it, and the reload lab and the docs check are driven by it. A key added to the parser
// without a row here is refused as unknown; a row without a test row fails the reload lab.

#include <span>
#include <string>
#include <string_view>

namespace anycastd {

enum class KeyChange {
  reload,   // SIGHUP (or anycastctl reload) applies it
  restart,  // a reload that changes it is refused; `anycastctl restart` or a stop and start applies it
  per_key,  // a table whose own keys say (the root tables, [anycast])
};

std::string_view to_string(KeyChange change);

struct ConfigKey {
  std::string_view table;  // the key's table as a scope: "" for the root, "[]" for any array index
  std::string_view key;
  KeyChange change;
};

std::span<const ConfigKey> config_keys();

// The scope a table at `path` reads its keys from: array indexes become "[]", and a group's own
// checks and route take the keys of [[health.check]] and [route] ("group[2].route.bird" ->
// "route.bird").
std::string key_scope(std::string_view path);

// "table.key" as an operator writes it ("services.dns.zone[].file").
std::string key_name(const ConfigKey& key);

}  // namespace anycastd
