// SPDX-License-Identifier: Apache-2.0
#pragma once

// Domain names in wire form (length-prefixed labels ending in the root's zero byte), as the zone
// scanner hands them over and as the answer table keys them. The zone keeps the case it was
// written in for the records; comparisons and keys use the lowercased form.

#include <cstddef>
#include <string>
#include <string_view>

namespace anycastd::dns {

using WireName = std::string;  // bytes of a wire name, the root byte included

// ASCII lowercase of every label byte (length bytes are at most 63 and unaffected).
WireName lower_name(std::string_view wire);

// Bytes of the wire name at the start of `wire` (the root byte included), or 0 if it is cut short
// or malformed.
std::size_t name_length(std::string_view wire);

// The name without its first label; the root stays the root.
std::string_view parent_name(std::string_view wire);

// `name` equals `ancestor` or lies below it; both lowercased.
bool is_at_or_below(std::string_view name, std::string_view ancestor);

// The labels before the root.
std::size_t label_count(std::string_view wire);

// Presentation form with a trailing dot ("www.example.net."), escaping what is not printable.
std::string name_to_text(std::string_view wire);

}  // namespace anycastd::dns
