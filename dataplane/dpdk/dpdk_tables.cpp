// SPDX-License-Identifier: Apache-2.0
#include "dpdk_tables.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>

#include "table_sizing.h"

namespace anycastd::dpdk {
namespace {

static_assert(AC_SVC__COUNT <= 21, "an allow LPM's next hop (21 bits in rte_lpm6) holds a mask of services");
static_assert(AC_VIP_MAX_DEFAULT <= 1u << 21, "a prefix LPM's next hop (21 bits in rte_lpm6) indexes the VIPs");

// Table names are global to the process (a tailq), and the old set lives while the new one is built.
std::string unique_name(const char* kind) {
  static std::atomic<unsigned> counter{0};
  return std::string("ac_") + kind + "_" + std::to_string(counter.fetch_add(1));
}

std::string mib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// Why making one table failed; out of memory names what the whole set needs.
class Failure {
 public:
  Failure(std::size_t need, std::size_t free) : need_(need), free_(free) {}
  std::string operator()(const std::string& table) const {
    if (rte_errno == ENOMEM)
      return "the table set needs " + mib(need_) + " of DPDK memory and " + mib(free_) +
             " was free before it was built (the running set keeps its own until the new one replaces it); "
             "raise -m or reserve more hugepages (docs/dpdk.md, \"Table memory\")";
    return "creating the " + table + ": " + (rte_errno ? std::string(rte_strerror(rte_errno)) : std::string("failed"));
  }

 private:
  std::size_t need_, free_;
};

// rte_hash compares keys it has no comparison of its own for (4 bytes) with memcmp.
int equal_words(const void* a, const void* b, size_t) {
  std::uint32_t x, y;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  return x != y;
}

// rte_hash_crc, with loads that need no alignment: the keys are addresses inside frames.
std::uint32_t key_crc(const void* key, std::uint32_t len, std::uint32_t init) {
  const auto* p = static_cast<const std::uint8_t*>(key);
  if (len == 16) {
    std::uint64_t high, low;
    std::memcpy(&high, p, 8);
    std::memcpy(&low, p + 8, 8);
    return rte_hash_crc_8byte(low, rte_hash_crc_8byte(high, init));
  }
  std::uint32_t word;
  std::memcpy(&word, p, 4);
  return rte_hash_crc_4byte(word, init);
}

rte_hash* make_hash(const char* kind, std::uint32_t keys, std::uint32_t key_len) {
  const std::string name = unique_name(kind);
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = hash_entries(keys);
  params.key_len = key_len;
  params.hash_func = key_crc;
  params.socket_id = SOCKET_ID_ANY;
  rte_hash* hash = rte_hash_create(&params);
  if (hash && key_len == 4) rte_hash_set_cmp_func(hash, equal_words);
  return hash;
}

rte_lpm* make_lpm4(const char* kind, std::uint32_t prefixes, std::uint32_t tbl8s) {
  rte_lpm_config config{};
  config.max_rules = lpm_rules(prefixes);
  config.number_tbl8s = lpm_groups(tbl8s);
  return rte_lpm_create(unique_name(kind).c_str(), SOCKET_ID_ANY, &config);
}

rte_lpm6* make_lpm6(const char* kind, std::uint32_t prefixes, std::uint32_t tbl8s) {
  rte_lpm6_config config{};
  config.max_rules = lpm_rules(prefixes);
  config.number_tbl8s = lpm_groups(tbl8s);
  return rte_lpm6_create(unique_name(kind).c_str(), SOCKET_ID_ANY, &config);
}

Prefix without_host_bits(Prefix p) {
  for (unsigned bit = p.len; bit < 16 * 8u; ++bit) p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

// As the configuration requires (parse_prefix): the tables and the reference environment would
// each read host bits their own way.
bool valid(const Prefix& p) {
  return (p.family == 4 || p.family == 6) && p.len <= p.max_len() && p == without_host_bits(p);
}

// A family's allow prefixes (not /0), each with the services of every entry that holds it.
std::map<Prefix, std::uint32_t> folded_allow(const std::vector<AllowEntry>& allow, int family) {
  std::map<Prefix, std::uint32_t> own;
  for (const AllowEntry& a : allow)
    if (a.source.family == family && a.source.len > 0) own[a.source] |= 1u << a.service;
  std::map<Prefix, std::uint32_t> folded = own;
  for (auto& [prefix, services] : folded)
    for (const auto& [outer, outer_services] : own)
      if (outer.len < prefix.len && outer.contains(prefix.addr.data())) services |= outer_services;
  return folded;
}

std::string refused(int rc, const std::string& what) {
  return what + ": " + (rc == -ENOSPC ? std::string("no room left in its table") : std::string(rte_strerror(-rc)));
}

}  // namespace

DpdkTables::DpdkTables() : ports_(new ac_port_value[AC_PORTS]()) {
  static std::atomic<std::uint64_t> sets{0};
  generation_ = ++sets;
}

DpdkTables::~DpdkTables() {
  rte_hash_free(exact4_);
  rte_hash_free(exact6_);
  rte_lpm_free(prefix4_);
  rte_lpm6_free(prefix6_);
  rte_lpm_free(allow4_);
  rte_lpm6_free(allow6_);
}

std::unique_ptr<DpdkTables> DpdkTables::build(const FastpathTables& tables, std::string& error) {
  std::unique_ptr<DpdkTables> t(new DpdkTables());
  if (!t->store(tables, error)) return nullptr;
  return t;
}

bool DpdkTables::store(const FastpathTables& tables, std::string& error) {
  answering_ = tables.answering;
  vip_stats_fresh_ = tables.vip_stats_fresh;
  for (std::uint32_t service = 0; service < AC_SVC__COUNT; ++service) {
    const ac_ratelimit_config& c = tables.ratelimit[service];
    // The core's bucket arithmetic wants burst * interval_ns well inside 64 bits.
    if (c.interval_ns && (c.prefix4 > 32 || c.prefix6 > 128 || c.interval_ns > (1ull << 62) / (c.burst + 1ull))) {
      error = std::string(ac_service_names[service]) + " rate limit: prefix length or burst * interval out of range";
      return false;
    }
    if (c.interval_ns) any_ratelimit_ = true;
  }
  ratelimit_ = tables.ratelimit;
  for (const auto& [port, value] : tables.ports) {
    if (value.service >= AC_SVC__COUNT) {
      error = "port " + std::to_string(port) + ": no service " + std::to_string(value.service);
      return false;
    }
    ports_[port] = value;
  }
  if (tables.vips.size() > AC_VIP_MAX_DEFAULT) {
    error = std::to_string(tables.vips.size()) + " VIPs: at most " + std::to_string(AC_VIP_MAX_DEFAULT);
    return false;
  }
  for (const VipEntry& v : tables.vips)
    if (!valid(v.prefix)) {
      error = "vip " + std::to_string(&v - tables.vips.data()) + ": bad prefix (family " +
              std::to_string(v.prefix.family) + ", length " + std::to_string(v.prefix.len) + ", or host bits set)";
      return false;
    }
  if (tables.allow.size() > AC_ALLOW_MAX_DEFAULT) {
    error = std::to_string(tables.allow.size()) + " allow prefixes: at most " + std::to_string(AC_ALLOW_MAX_DEFAULT);
    return false;
  }
  for (const AllowEntry& a : tables.allow)
    if (a.service >= AC_SVC__COUNT || !valid(a.source)) {
      error = "allow " + std::to_string(&a - tables.allow.data()) + ": bad service " + std::to_string(a.service) +
              " or prefix (length, host bits)";
      return false;
    }

  const TableShape shape = table_shape(tables);
  const Failure failed(table_set_bytes(shape), dpdk_heap().free);
  rte_errno = 0;  // what a failed create sets, read by `failed`
  if ((shape.exact4 > AC_VIP_SCAN_MAX && !(exact4_ = make_hash("exact4", shape.exact4, 4))) ||
      (shape.exact6 > AC_VIP_SCAN_MAX && !(exact6_ = make_hash("exact6", shape.exact6, 16)))) {
    error = failed("exact VIP hash");
    return false;
  }
  if ((shape.prefix4 && !(prefix4_ = make_lpm4("prefix4", shape.prefix4, shape.vip_tbl8s4))) ||
      (shape.prefix6 && !(prefix6_ = make_lpm6("prefix6", shape.prefix6, shape.vip_tbl8s6)))) {
    error = failed("prefix VIP LPM");
    return false;
  }
  if ((shape.allow4 && !(allow4_ = make_lpm4("allow4", shape.allow4, shape.allow_tbl8s4))) ||
      (shape.allow6 && !(allow6_ = make_lpm6("allow6", shape.allow6, shape.allow_tbl8s6)))) {
    error = failed("allow LPM");
    return false;
  }

  vips_.reserve(tables.vips.size());
  for (const VipEntry& v : tables.vips) vips_.push_back(v.value);
  // The scans keep the first value for an address, as the reference environment does.
  for (std::size_t i = 0; i < tables.vips.size(); ++i) {
    const Prefix& p = tables.vips[i].prefix;
    if (!p.is_host()) continue;
    if (p.family == 4 && !exact4_) {
      std::memcpy(&scan4_.address[scan4_.count], p.addr.data(), 4);
      scan4_.value[scan4_.count++] = &vips_[i];
    } else if (p.family == 6 && !exact6_) {
      std::memcpy(scan6_.address[scan6_.count].data(), p.addr.data(), 16);
      scan6_.value[scan6_.count++] = &vips_[i];
    }
  }
  // The hashes and LPMs keep the last value stored for a key: they are filled backwards.
  for (std::size_t i = tables.vips.size(); i-- > 0;) {
    const Prefix& p = tables.vips[i].prefix;
    ac_vip_value* value = &vips_[i];
    const std::uint32_t hop = static_cast<std::uint32_t>(i);
    int rc = 0;
    if (p.len == 0)
      (p.family == 4 ? vip4_all_ : vip6_all_) = value;
    else if (p.is_host() && (p.family == 4 ? exact4_ : exact6_))
      rc = rte_hash_add_key_data(p.family == 4 ? exact4_ : exact6_, p.addr.data(), value);
    else if (p.is_host())
      continue;  // scanned
    else if (p.family == 4)
      rc = rte_lpm_add(prefix4_, host32(p.addr.data()), p.len, hop);
    else
      rc = rte_lpm6_add(prefix6_, p.addr.data(), p.len, hop);
    if (rc < 0) {
      error = refused(rc, "vip " + p.str());
      return false;
    }
  }

  for (const AllowEntry& a : tables.allow)
    if (a.source.len == 0) (a.source.family == 4 ? allow4_all_ : allow6_all_) |= 1u << a.service;
  for (int family : {4, 6})
    for (const auto& [prefix, services] : folded_allow(tables.allow, family)) {
      const int rc = family == 4 ? rte_lpm_add(allow4_, host32(prefix.addr.data()), prefix.len, services)
                                 : rte_lpm6_add(allow6_, prefix.addr.data(), prefix.len, services);
      if (rc < 0) {
        error = refused(rc, "allow " + prefix.str());
        return false;
      }
    }
  return true;
}

const ac_vip_value* DpdkTables::vip4(const std::uint8_t* daddr) const {
  void* data;
  if (exact4_) {
    if (rte_hash_lookup_data(exact4_, daddr, &data) >= 0) return static_cast<const ac_vip_value*>(data);
  } else if (const ac_vip_value* v = scanned4(daddr)) {
    return v;
  }
  return prefix4(daddr);
}

const ac_vip_value* DpdkTables::vip6(const std::uint8_t* daddr) const {
  void* data;
  if (exact6_) {
    if (rte_hash_lookup_data(exact6_, daddr, &data) >= 0) return static_cast<const ac_vip_value*>(data);
  } else if (const ac_vip_value* v = scanned6(daddr)) {
    return v;
  }
  return prefix6(daddr);
}

namespace {

// Exact VIPs in one bulk lookup, then each miss through the prefixes. The keys' hashes are
// computed here, inline, rather than by rte_hash through its function pointer.
template <std::uint32_t kKeyLen, typename PrefixMatch>
void match_bulk(const rte_hash* exact, const std::uint8_t* const* daddrs, unsigned n, const ac_vip_value** found,
                PrefixMatch prefix) {
  void* data[DpdkTables::kMatchMax];
  hash_sig_t sigs[DpdkTables::kMatchMax];
  std::uint64_t hits = 0;
  if (exact) {
    for (unsigned i = 0; i < n; ++i) sigs[i] = key_crc(daddrs[i], kKeyLen, 0);
    rte_hash_lookup_with_hash_bulk_data(exact, reinterpret_cast<const void**>(const_cast<const std::uint8_t**>(daddrs)),
                                        sigs, n, &hits, data);
  }
  for (unsigned i = 0; i < n; ++i)
    found[i] = hits >> i & 1 ? static_cast<const ac_vip_value*>(data[i]) : prefix(daddrs[i]);
}

}  // namespace

void DpdkTables::match4(const std::uint8_t* const* daddrs, unsigned n, const ac_vip_value** found) const {
  if (exact4_) return match_bulk<4>(exact4_, daddrs, n, found, [this](const std::uint8_t* a) { return prefix4(a); });
  for (unsigned i = 0; i < n; ++i) {
    const ac_vip_value* v = scanned4(daddrs[i]);
    found[i] = v ? v : prefix4(daddrs[i]);
  }
}

void DpdkTables::match6(const std::uint8_t* const* daddrs, unsigned n, const ac_vip_value** found) const {
  if (exact6_) return match_bulk<16>(exact6_, daddrs, n, found, [this](const std::uint8_t* a) { return prefix6(a); });
  for (unsigned i = 0; i < n; ++i) {
    const ac_vip_value* v = scanned6(daddrs[i]);
    found[i] = v ? v : prefix6(daddrs[i]);
  }
}

}  // namespace anycastd::dpdk
