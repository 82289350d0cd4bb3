// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the zone compiler tests share: names from text, temporary zone files, and reading answers
// out of a compiled image through dns_image.h, as the packet path does.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "dns_hash.h"
#include "dns_image.h"

namespace anycastd::test {

// "www.example.net." -> wire form; labels without escapes, which is all the tests use.
inline std::string wire_name(std::string_view text)
{
  std::string out;
  while (!text.empty() && text != ".") {
    auto dot = text.find('.');
    std::string_view label = text.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  }
  out += '\0';
  return out;
}

inline ac_dns_key dns_key(const ac_dns_table* t, std::string_view text, std::uint16_t qtype)
{
  std::string w = wire_name(text);
  ac_dns_key k{};
  k.hash = ac_dns_hash_name(t->seed, reinterpret_cast<const __u8*>(w.data()), static_cast<__u32>(w.size()));
  k.qtype = qtype;
  k.name_len = static_cast<__u8>(w.size());
  return k;
}

inline const ac_dns_entry* dns_find(const ac_dns_table* t, std::string_view text, std::uint16_t qtype)
{
  ac_dns_key k = dns_key(t, text, qtype);
  return ac_dns_image_find(t, &k);
}

// The parts of an answer object behind its header.
struct AnswerView {
  const ac_dns_answer* head;
  const __u16* fixups;
  const ac_dns_cut* cuts;
  const std::uint8_t* records;

  explicit AnswerView(const ac_dns_answer* a)
      : head(a),
        fixups(reinterpret_cast<const __u16*>(a + 1)),
        cuts(reinterpret_cast<const ac_dns_cut*>(fixups + a->nfixups)),
        records(reinterpret_cast<const std::uint8_t*>(cuts + a->ncuts))
  {
  }
  std::size_t object_size() const { return static_cast<std::size_t>(records - reinterpret_cast<const std::uint8_t*>(head)) + head->size; }

  // The records for a query name `qname_len` bytes long: every fixup moved by the difference.
  std::vector<std::uint8_t> records_for(std::size_t qname_len) const
  {
    std::vector<std::uint8_t> out(records, records + head->size);
    int delta = static_cast<int>(qname_len) - head->base_qname_len;
    for (unsigned i = 0; i < head->nfixups; i++) {
      unsigned at = fixups[i];
      unsigned ptr = ((out[at] << 8) | out[at + 1]) + delta;
      out[at] = static_cast<std::uint8_t>(ptr >> 8);
      out[at + 1] = static_cast<std::uint8_t>(ptr & 0xff);
    }
    return out;
  }
};

// A directory of zone files for one test, removed with it.
class TempDir {
 public:
  TempDir()
  {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ac-zone-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& text) const
  {
    std::string p = (path_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace anycastd::test

namespace anycastd::test {

// The name at `at` in a whole DNS message, compression pointers followed, in lowercase text
// ("www.example.net."); `at` moves past the name. Throws on a pointer loop or out-of-range read.
inline std::string read_name(const std::vector<std::uint8_t>& msg, std::size_t& at)
{
  std::string out;
  std::size_t pos = at;
  bool jumped = false;
  for (int hops = 0; hops < 128; hops++) {
    if (pos >= msg.size())
      throw std::out_of_range("name beyond the message");
    std::uint8_t len = msg.at(pos);
    if ((len & 0xC0) == 0xC0) {
      if (!jumped)
        at = pos + 2;
      jumped = true;
      pos = ((len & 0x3F) << 8) | msg.at(pos + 1);
      continue;
    }
    if (len == 0) {
      if (!jumped)
        at = pos + 1;
      return out.empty() ? "." : out;
    }
    for (std::size_t i = 1; i <= len; i++) {
      char c = static_cast<char>(msg.at(pos + i));
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    out += '.';
    pos += 1 + len;
  }
  throw std::runtime_error("compression loop");
}

}  // namespace anycastd::test
