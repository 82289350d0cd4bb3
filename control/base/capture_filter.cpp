// SPDX-License-Identifier: Apache-2.0
#include "base/capture_filter.h"

#include <stdexcept>
#include <vector>

namespace anycastd {
namespace {

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    std::size_t end = at;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t') ++end;
    if (end > at) words.push_back(text.substr(at, end - at));
    at = end;
  }
  return words;
}

[[noreturn]] void refuse(const std::string& why) { throw std::invalid_argument("capture filter: " + why); }

std::uint16_t parse_port(std::string_view text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) refuse("port wants a number from 1 to 65535, not \"" + std::string(text) + "\"");
  for (char ch : text) {
    if (ch < '0' || ch > '9') refuse("port wants a number from 1 to 65535, not \"" + std::string(text) + "\"");
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value == 0 || value > 65535) refuse("port wants a number from 1 to 65535, not \"" + std::string(text) + "\"");
  return static_cast<std::uint16_t>(value);
}

Prefix prefix_term(std::string_view term, std::string_view text) {
  try {
    return parse_prefix(text);
  } catch (const std::invalid_argument& e) {
    refuse(std::string(term) + ": " + e.what());
  }
}

}  // namespace

CaptureFilter parse_capture_filter(std::string_view text) {
  CaptureFilter filter;
  const std::vector<std::string_view> words = words_of(text);
  bool want_term = true;  // at the start and after "and"
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = words[i];
    if (word == "and") {
      if (want_term) refuse("\"and\" without a term before it");
      want_term = true;
      continue;
    }
    want_term = false;
    if (word != "vip" && word != "src" && word != "client" && word != "port")
      refuse("unknown word \"" + std::string(word) + "\": expected vip PREFIX, src PREFIX or port N, joined by and");
    if (i + 1 >= words.size() || words[i + 1] == "and") refuse(std::string(word) + " needs a value");
    const std::string_view value = words[++i];
    if (word == "port") {
      if (filter.port) refuse("port given twice");
      filter.port = parse_port(value);
    } else if (word == "vip") {
      if (filter.vip) refuse("vip given twice");
      filter.vip = prefix_term(word, value);
    } else {
      if (filter.src) refuse("src given twice");
      filter.src = prefix_term(word, value);
    }
  }
  if (!words.empty() && want_term) refuse("\"and\" at the end, without a term after it");
  if (filter.vip && filter.src && filter.vip->family != filter.src->family)
    refuse("vip " + filter.vip->str() + " and src " + filter.src->str() +
           " are of different address families: nothing could match");
  return filter;
}

std::string CaptureFilter::str() const {
  std::string out;
  auto add = [&](const std::string& term) { out += (out.empty() ? "" : " and ") + term; };
  if (vip) add("vip " + vip->str());
  if (src) add("src " + src->str());
  if (port) add("port " + std::to_string(*port));
  return out.empty() ? "all" : out;
}

}  // namespace anycastd
