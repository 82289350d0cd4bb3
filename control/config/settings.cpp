// SPDX-License-Identifier: Apache-2.0
#include "config/settings.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "base/prefix.h"

namespace anycastd {
namespace {

bool valid_protocol_text(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == ':' || c == '-' || c == '*' || c == '?';
    if (!ok) return false;
  }
  return true;
}

bool valid_community(std::string_view c) {
  for (std::string_view name : {"no-export", "no-advertise", "no-export-subconfed", "no-peer"})
    if (c == name) return true;
  auto colon = c.find(':');
  if (colon == std::string_view::npos) return false;
  auto half = [](std::string_view digits) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && value <= 0xFFFF;
  };
  return half(c.substr(0, colon)) && half(c.substr(colon + 1));
}

Refusal next_hop_problem(const std::string& text, int family) {
  if (text.empty()) return Refusal::none();
  Prefix p;
  try {
    p = parse_prefix(text);
  } catch (const std::invalid_argument& e) {
    return Refusal::because(fmt::format("exabgp route signal: next_hop{}: {}", family, e.what()));
  }
  if (p.family != family || !p.is_host() || text.find('/') != std::string::npos)
    return Refusal::because(
        fmt::format("exabgp route signal: next_hop{} \"{}\" is not an IPv{} address", family, text, family));
  return Refusal::none();
}

}  // namespace

std::string_view to_string(SignalKind kind) {
  switch (kind) {
    case SignalKind::alias: return "alias";
    case SignalKind::bird: return "bird";
    case SignalKind::exabgp: return "exabgp";
  }
  return "?";
}

Refusal bird_signal_problem(const BirdSignalConfig& config) {
  if (config.protocols.empty())
    return Refusal::because(
        "bird route signal: no protocol given (the static protocol(s) carrying the group's routes)");
  for (const auto* list : {&config.protocols, &config.gshut_protocols})
    for (const std::string& p : *list)
      if (!valid_protocol_text(p))
        return Refusal::because(fmt::format(
            "bird route signal: \"{}\" is not a BIRD protocol name or pattern (letters, digits, _ . : - and the wildcards * ?)",
            p));
  if (config.timeout.count() <= 0) return Refusal::because("bird route signal: timeout must be positive");
  return Refusal::none();
}

bool bird_pattern_match(std::string_view pattern, std::string_view name) {
  // Iterative glob with one backtrack point: enough for * and ?, and linear in practice.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Refusal exabgp_signal_problem(const ExabgpSignalConfig& config) {
  if (config.pipe.empty()) return Refusal::because("exabgp route signal: pipe is empty");
  for (auto [text, family] : {std::pair{&config.next_hop4, 4}, std::pair{&config.next_hop6, 6}})
    if (Refusal problem = next_hop_problem(*text, family)) return problem;
  for (const std::string& c : config.communities)
    if (!valid_community(c))
      return Refusal::because(fmt::format(
          "exabgp route signal: community \"{}\" is not ASN:VALUE (0-65535 each) or no-export, no-advertise, "
          "no-export-subconfed, no-peer",
          c));
  if (config.timeout.count() <= 0) return Refusal::because("exabgp route signal: timeout must be positive");
  return Refusal::none();
}

std::string_view to_string(XdpMode mode) {
  switch (mode) {
    case XdpMode::native: return "native";
    case XdpMode::generic: return "generic";
    case XdpMode::automatic: return "auto";
  }
  return "?";
}

std::string_view to_string(XdpAttach attach) {
  switch (attach) {
    case XdpAttach::exclusive: return "exclusive";
    case XdpAttach::dispatcher: return "dispatcher";
    case XdpAttach::chain: return "chain";
  }
  return "?";
}

}  // namespace anycastd
