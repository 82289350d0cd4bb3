// SPDX-License-Identifier: Apache-2.0
#include "dns/dnssec.h"

#include <nettle/sha1.h>

#include <algorithm>
#include <map>

namespace anycastd::dns {

namespace {

std::vector<std::string_view> labels(std::string_view name)
{
  std::vector<std::string_view> out;
  while (!name.empty() && name[0] != 0) {
    std::size_t n = static_cast<unsigned char>(name[0]);
    out.push_back(name.substr(1, n));
    name.remove_prefix(std::min(name.size(), 1 + n));
  }
  return out;
}

unsigned char lower(char c)
{
  auto u = static_cast<unsigned char>(c);
  return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + 32) : u;
}

std::uint32_t be32(std::string_view p)
{
  return (std::uint32_t{static_cast<unsigned char>(p[0])} << 24) | (std::uint32_t{static_cast<unsigned char>(p[1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(p[2])} << 8) | static_cast<unsigned char>(p[3]);
}

// RFC 4034 3.1.5: serial number arithmetic (RFC 1982) on 32-bit times, against now.
bool time_before(std::uint32_t a, std::time_t now)
{
  return static_cast<std::int32_t>(a - static_cast<std::uint32_t>(now)) < 0;
}

}  // namespace

bool canonical_less(std::string_view a, std::string_view b)
{
  auto la = labels(a), lb = labels(b);
  for (std::size_t i = 0; i < std::min(la.size(), lb.size()); i++) {
    std::string_view x = la[la.size() - 1 - i], y = lb[lb.size() - 1 - i];
    for (std::size_t k = 0; k < std::min(x.size(), y.size()); k++) {
      if (lower(x[k]) != lower(y[k]))
        return lower(x[k]) < lower(y[k]);
    }
    if (x.size() != y.size())
      return x.size() < y.size();
  }
  return la.size() < lb.size();
}

std::optional<Nsec3Params> nsec3_params(std::string_view rdata)
{
  if (rdata.size() < 5 || rdata.size() < 5u + static_cast<unsigned char>(rdata[4]))
    return std::nullopt;
  Nsec3Params p;
  p.algorithm = static_cast<std::uint8_t>(rdata[0]);
  p.iterations = static_cast<std::uint16_t>((static_cast<unsigned char>(rdata[2]) << 8) | static_cast<unsigned char>(rdata[3]));
  p.salt = std::string(rdata.substr(5, static_cast<unsigned char>(rdata[4])));
  return p;
}

std::string nsec3_hash(std::string_view name, const Nsec3Params& params)
{
  std::string x(name.size(), '\0');
  std::transform(name.begin(), name.end(), x.begin(), [](char c) { return static_cast<char>(lower(c)); });
  std::uint8_t digest[SHA1_DIGEST_SIZE];
  for (unsigned i = 0; i <= params.iterations; i++) {
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, x.size(), reinterpret_cast<const std::uint8_t*>(x.data()));
    sha1_update(&ctx, params.salt.size(), reinterpret_cast<const std::uint8_t*>(params.salt.data()));
    sha1_digest(&ctx, sizeof digest, digest);
    x.assign(reinterpret_cast<const char*>(digest), sizeof digest);
  }
  return x;
}

std::string nsec3_owner_hash(std::string_view owner)
{
  if (owner.empty() || static_cast<unsigned char>(owner[0]) != 32)
    return {};
  std::string out;
  std::uint32_t bits = 0, acc = 0;
  for (char c : owner.substr(1, 32)) {
    unsigned char u = lower(c);
    std::uint32_t v;
    if (u >= '0' && u <= '9')
      v = u - '0';
    else if (u >= 'a' && u <= 'v')
      v = u - 'a' + 10;
    else
      return {};
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((acc >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::vector<std::string> dnssec_warnings(const Zone& zone, std::time_t now)
{
  std::vector<std::string> out;
  const Node& apex = zone.apex();
  if (const RRset* param = apex.find(rrtype::NSEC3PARAM)) {
    for (const auto& rd : param->rdata) {
      if (auto p = nsec3_params(rd); p && p->iterations > 0)
        out.push_back(zone.where(param->line) + ": NSEC3PARAM at " + name_to_text(apex.owner) + " has " +
                      std::to_string(p->iterations) +
                      " iterations: RFC 9276 asks for 0 (served as signed; resolvers may treat the zone as insecure)");
    }
  }
  bool any_sig = false;
  // Sorted by owner and type for a stable message.
  std::map<std::string, std::uint32_t> expired, early;
  for (const auto& [key, node] : zone.nodes) {
    for (const auto& set : node.rrsets) {
      if (set.type != rrtype::RRSIG)
        continue;
      any_sig = true;
      for (const auto& rd : set.rdata) {
        if (rd.size() < 16)
          continue;
        std::string what = name_to_text(node.owner) + " RRSIG " + type_to_text(set.covered);
        if (time_before(be32(rd.substr(8)), now))
          expired.emplace(what, set.line);
        else if (static_cast<std::int32_t>(be32(rd.substr(12)) - static_cast<std::uint32_t>(now)) > 0)
          early.emplace(what, set.line);
      }
    }
  }
  for (const auto& [what, line] : expired)
    out.push_back(zone.where(line) + ": " + what + " has expired (served as is: re-sign the zone)");
  for (const auto& [what, line] : early)
    out.push_back(zone.where(line) + ": " + what + " is not valid yet (served as is: check the signer's clock)");
  if (!any_sig) {
    if (const RRset* key = apex.find(rrtype::DNSKEY))
      out.push_back(zone.where(key->line) + ": DNSKEY at " + name_to_text(apex.owner) +
                    " but no RRSIG in the zone: it is served unsigned (was the unsigned file configured?)");
  }
  return out;
}

}  // namespace anycastd::dns
