// SPDX-License-Identifier: Apache-2.0
#include "dns/answer_builder.h"

#include <cstring>

#include "abi.h"

namespace anycastd::dns {

namespace {

constexpr std::size_t header_len = 12;
constexpr std::size_t max_message = 65535;
constexpr std::uint16_t pointer_limit = 0x3FFF;
constexpr std::size_t max_list = 255;  // nfixups and ncuts are bytes

// The ones'-complement sum (RFC 1071) of the records up to each cut, as big-endian words from
// their first byte, folded to 16 bits: abi.h ac_dns_cut.sum; the last is the whole's.
std::vector<std::uint16_t> cut_sums(std::string_view records, const std::vector<std::uint16_t>& ends)
{
  std::vector<std::uint16_t> sums;
  std::uint64_t sum = 0;
  std::size_t i = 0;
  auto fold = [](std::uint64_t s) {
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return static_cast<std::uint16_t>(s);
  };
  for (std::uint16_t end : ends) {
    for (; i < end; i++) sum += static_cast<std::uint64_t>(static_cast<std::uint8_t>(records[i])) << (i % 2 ? 0 : 8);
    sums.push_back(fold(sum));
  }
  return sums;
}

}  // namespace

AnswerBuilder::AnswerBuilder(std::string_view base_name, Query query)
    : base_len_(static_cast<std::uint8_t>(base_name.size())), query_(query)
{
  WireName lower = lower_name(base_name);
  std::string_view n = lower;
  for (std::size_t at = header_len; n.size() > 1; at += n.size() - parent_name(n).size(), n = parent_name(n)) {
    bool whole = at == header_len;
    if (whole && query == Query::wildcard)
      continue;  // "*.parent" is never in the reply: the query name stands at 12
    dict_.push_back(Suffix{WireName(n), static_cast<std::uint16_t>(at), !whole || query == Query::suffix});
  }
}

std::uint16_t AnswerBuilder::message_offset(std::size_t record_pos) const
{
  return static_cast<std::uint16_t>(header_len + base_len_ + 4 + record_pos);
}

void AnswerBuilder::put16(std::uint16_t v)
{
  records_ += static_cast<char>(v >> 8);
  records_ += static_cast<char>(v & 0xff);
}

void AnswerBuilder::put32(std::uint32_t v)
{
  put16(static_cast<std::uint16_t>(v >> 16));
  put16(static_cast<std::uint16_t>(v & 0xffff));
}

void AnswerBuilder::write_name(std::string_view name, bool compress)
{
  WireName lower = compress ? lower_name(name) : WireName();
  std::size_t skipped = 0;
  while (name.size() > 1) {
    if (compress) {
      std::string_view key = std::string_view(lower).substr(skipped);
      const Suffix* hit = nullptr;
      for (const auto& s : dict_) {
        if (s.name == key) {
          hit = &s;
          break;
        }
      }
      if (hit && (!hit->moves || fixups_.size() < max_list)) {
        if (hit->moves)
          fixups_.push_back(static_cast<std::uint16_t>(records_.size()));
        put16(static_cast<std::uint16_t>(0xC000 | hit->at));
        return;
      }
      // A target inside the records moves by up to (255 - base) bytes: keep it reachable.
      std::size_t at = header_len + base_len_ + 4 + records_.size();
      if (!hit && at + (255 - base_len_) <= pointer_limit)
        dict_.push_back(Suffix{WireName(key), static_cast<std::uint16_t>(at), true});
    }
    std::size_t label = 1 + static_cast<unsigned char>(name[0]);
    records_.append(name.substr(0, label));
    name.remove_prefix(label);
    skipped += label;
  }
  records_ += '\0';
}

void AnswerBuilder::add(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset)
{
  add(section, owner, owner_is_query, rrset, rrset.ttl);
}

void AnswerBuilder::add(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset,
                        std::uint32_t ttl)
{
  write(section, owner, owner_is_query, rrset, ttl);
  cut();
}

void AnswerBuilder::add_signed(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset,
                               std::uint32_t ttl, const RRset* sigs)
{
  write(section, owner, owner_is_query, rrset, ttl);
  if (sigs)
    write(section, owner, owner_is_query, *sigs, ttl);
  cut();
}

void AnswerBuilder::write(Section section, std::string_view owner, bool owner_is_query, const RRset& rrset,
                          std::uint32_t ttl)
{
  for (const auto& rdata : rrset.rdata) {
    if (owner_is_query)
      put16(0xC000 | header_len);
    else
      write_name(owner, true);
    put16(rrset.type);
    put16(1);  // IN
    put32(ttl);
    std::size_t rdlength_at = records_.size();
    put16(0);
    std::string_view rd = rdata;
    switch (rrset.type) {
    case rrtype::NS:
    case rrtype::CNAME:
    case rrtype::PTR:
      write_name(rd, true);
      break;
    case rrtype::MX:
      records_.append(rd.substr(0, 2));
      write_name(rd.substr(2), true);
      break;
    case rrtype::SOA: {
      std::size_t mname = name_length(rd);
      write_name(rd.substr(0, mname), true);
      rd.remove_prefix(mname);
      std::size_t rname = name_length(rd);
      write_name(rd.substr(0, rname), true);
      records_.append(rd.substr(rname));
      break;
    }
    default:
      records_.append(rd);
    }
    std::size_t rdlength = records_.size() - rdlength_at - 2;
    if (rdlength > 0xffff || header_len + base_len_ + 4 + records_.size() > max_message)
      throw AnswerTooLarge("the answer is larger than a DNS message (65535 bytes)");
    records_[rdlength_at] = static_cast<char>(rdlength >> 8);
    records_[rdlength_at + 1] = static_cast<char>(rdlength & 0xff);
    (section == Section::answer ? ancount_ : section == Section::authority ? nscount_ : arcount_)++;
  }
}

void AnswerBuilder::cut()
{
  if (cuts_.size() == max_list)
    throw AnswerTooLarge("the answer has more than 255 RRsets");
  cuts_.push_back(Cut{static_cast<std::uint16_t>(records_.size()), ancount_, nscount_, arcount_});
}

std::string AnswerBuilder::finish(std::uint8_t rcode, std::uint8_t flags, std::uint8_t outcome) const
{
  ac_dns_answer h{};
  h.size = static_cast<__u16>(records_.size());
  h.ancount = ancount_;
  h.nscount = nscount_;
  h.arcount = arcount_;
  h.rcode = rcode;
  h.flags = static_cast<__u8>(flags | (query_ == Query::wildcard ? AC_DNS_A_WILDCARD : 0));
  h.base_qname_len = base_len_;
  h.nfixups = static_cast<__u8>(fixups_.size());
  h.ncuts = static_cast<__u8>(cuts_.size());
  h.outcome = outcome;
  std::vector<std::uint16_t> ends;
  for (const auto& c : cuts_) ends.push_back(c.end);
  ends.push_back(h.size);
  const std::vector<std::uint16_t> sums = cut_sums(records_, ends);
  h.sum = sums.back();
  std::string out(sizeof h + fixups_.size() * sizeof(__u16) + cuts_.size() * sizeof(ac_dns_cut) + records_.size(),
                  '\0');
  char* p = out.data();
  std::memcpy(p, &h, sizeof h);
  p += sizeof h;
  // memcpy from an empty vector's data() (null) is undefined even for 0 bytes.
  if (!fixups_.empty()) std::memcpy(p, fixups_.data(), fixups_.size() * sizeof(__u16));
  p += fixups_.size() * sizeof(__u16);
  for (std::size_t i = 0; i < cuts_.size(); i++) {
    const Cut& c = cuts_[i];
    ac_dns_cut cut{c.end, c.ancount, c.nscount, c.arcount, sums[i]};
    std::memcpy(p, &cut, sizeof cut);
    p += sizeof cut;
  }
  if (!records_.empty()) std::memcpy(p, records_.data(), records_.size());
  return out;
}

}  // namespace anycastd::dns
