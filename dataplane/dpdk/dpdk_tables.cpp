// SPDX-License-Identifier: Apache-2.0
#include "dpdk_tables.h"

#include <rte_errno.h>

#include <atomic>
#include <cstring>

namespace anycastd::dpdk {
namespace {

// LPM names are global to the process (a tailq), and the old set lives while the new one is built.
std::string unique_name(const char* kind) {
  static std::atomic<unsigned> counter{0};
  return std::string("ac_") + kind + "_" + std::to_string(counter.fetch_add(1));
}

std::string lpm_error(const std::string& what) {
  return what + ": " + (rte_errno ? std::string(rte_strerror(rte_errno)) : std::string("failed"));
}

rte_lpm* make_lpm4(const char* kind, std::uint32_t rules, std::uint32_t tbl8s, std::string& error) {
  rte_lpm_config config{};
  config.max_rules = rules;
  config.number_tbl8s = tbl8s;
  std::string name = unique_name(kind);
  rte_lpm* lpm = rte_lpm_create(name.c_str(), SOCKET_ID_ANY, &config);
  if (!lpm) error = lpm_error(std::string("creating the ") + kind + " LPM (out of DPDK memory? raise -m)");
  return lpm;
}

rte_lpm6* make_lpm6(const char* kind, std::uint32_t rules, std::uint32_t tbl8s, std::string& error) {
  rte_lpm6_config config{};
  config.max_rules = rules;
  config.number_tbl8s = tbl8s;
  std::string name = unique_name(kind);
  rte_lpm6* lpm = rte_lpm6_create(name.c_str(), SOCKET_ID_ANY, &config);
  if (!lpm) error = lpm_error(std::string("creating the ") + kind + " LPM (out of DPDK memory? raise -m)");
  return lpm;
}

bool valid(const Prefix& p) { return (p.family == 4 || p.family == 6) && p.len <= p.max_len(); }

std::string full(int rc, const std::string& what) {
  return what + ": " + (rc == -ENOSPC ? std::string("the LPM is full (too many rules or tbl8 groups)")
                                      : std::string(rte_strerror(-rc)));
}

}  // namespace

DpdkTables::DpdkTables() : ports_(new ac_port_value[AC_PORTS]()) {}

DpdkTables::~DpdkTables() {
  rte_lpm_free(vip4_);
  rte_lpm6_free(vip6_);
  for (Allow& a : allow_) {
    rte_lpm_free(a.v4);
    rte_lpm6_free(a.v6);
  }
}

std::unique_ptr<DpdkTables> DpdkTables::build(const FastpathTables& tables, std::string& error) {
  std::unique_ptr<DpdkTables> t(new DpdkTables());
  t->answering_ = tables.answering;
  for (std::uint32_t service = 0; service < AC_SVC__COUNT; ++service) {
    const ac_ratelimit_config& c = tables.ratelimit[service];
    // The core's bucket arithmetic wants burst * interval_ns well inside 64 bits.
    if (c.interval_ns && (c.prefix4 > 32 || c.prefix6 > 128 || c.interval_ns > (1ull << 62) / (c.burst + 1ull))) {
      error = std::string(ac_service_names[service]) + " rate limit: prefix length or burst * interval out of range";
      return nullptr;
    }
    if (c.interval_ns) t->any_ratelimit_ = true;
  }
  t->ratelimit_ = tables.ratelimit;
  if (tables.vips.size() > AC_VIP_MAX_DEFAULT) {
    error = std::to_string(tables.vips.size()) + " VIPs: at most " + std::to_string(AC_VIP_MAX_DEFAULT);
    return nullptr;
  }
  std::uint32_t v4 = 0, v6 = 0;
  for (const VipEntry& v : tables.vips) {
    if (!valid(v.prefix)) {
      error = "vip " + std::to_string(&v - tables.vips.data()) + ": bad prefix (family " +
              std::to_string(v.prefix.family) + ", length " + std::to_string(v.prefix.len) + ")";
      return nullptr;
    }
    (v.prefix.family == 4 ? v4 : v6)++;
  }
  if (v4 && !(t->vip4_ = make_lpm4("vip4", AC_VIP_MAX_DEFAULT, kVip4Tbl8s, error))) return nullptr;
  if (v6 && !(t->vip6_ = make_lpm6("vip6", AC_VIP_MAX_DEFAULT, kVip6Tbl8s, error))) return nullptr;
  // rte_lpm keeps the last next hop added for a prefix; the reference environment the first.
  for (std::size_t i = tables.vips.size(); i-- > 0;) {
    const VipEntry& v = tables.vips[i];
    std::uint32_t hop = static_cast<std::uint32_t>(t->vips_.size());
    t->vips_.push_back(v.value);
    int rc = 0;
    if (v.prefix.len == 0)
      (v.prefix.family == 4 ? t->vip4_all_ : t->vip6_all_) = hop;
    else if (v.prefix.family == 4)
      rc = rte_lpm_add(t->vip4_, host32(v.prefix.addr.data()), v.prefix.len, hop);
    else
      rc = rte_lpm6_add(t->vip6_, v.prefix.addr.data(), v.prefix.len, hop);
    if (rc < 0) {
      error = full(rc, "vip " + v.prefix.str());
      return nullptr;
    }
  }

  for (const auto& [port, value] : tables.ports) {
    if (value.service >= AC_SVC__COUNT) {
      error = "port " + std::to_string(port) + ": no service " + std::to_string(value.service);
      return nullptr;
    }
    t->ports_[port] = value;
  }

  if (tables.allow.size() > AC_ALLOW_MAX_DEFAULT) {
    error = std::to_string(tables.allow.size()) + " allow prefixes: at most " + std::to_string(AC_ALLOW_MAX_DEFAULT);
    return nullptr;
  }
  for (const AllowEntry& a : tables.allow) {
    if (a.service >= AC_SVC__COUNT || !valid(a.source)) {
      error = "allow " + std::to_string(&a - tables.allow.data()) + ": bad service " + std::to_string(a.service) +
              " or prefix";
      return nullptr;
    }
    Allow& slot = t->allow_[a.service];
    int rc = 0;
    if (a.source.family == 4) {
      if (a.source.len == 0) {
        slot.all4 = true;
        continue;
      }
      if (!slot.v4 && !(slot.v4 = make_lpm4("allow4", AC_ALLOW_MAX_DEFAULT, kAllow4Tbl8s, error))) return nullptr;
      rc = rte_lpm_add(slot.v4, host32(a.source.addr.data()), a.source.len, 0);
    } else {
      if (a.source.len == 0) {
        slot.all6 = true;
        continue;
      }
      if (!slot.v6 && !(slot.v6 = make_lpm6("allow6", AC_ALLOW_MAX_DEFAULT, kAllow6Tbl8s, error))) return nullptr;
      rc = rte_lpm6_add(slot.v6, a.source.addr.data(), a.source.len, 0);
    }
    if (rc < 0) {
      error = full(rc, "allow " + a.source.str());
      return nullptr;
    }
  }
  return t;
}

}  // namespace anycastd::dpdk
