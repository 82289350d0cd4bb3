// SPDX-License-Identifier: Apache-2.0
#include "dns/zone_compiler.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "abi.h"
#include "dns/answer_builder.h"
#include "dns/dnssec.h"
#include "dns_hash.h"
#include "dns_image.h"
#include "dns/zone_reader.h"

namespace anycastd::dns {

namespace {

// CNAMEs followed in one answer, as a bound against long chains (a loop is an error of its own).
constexpr std::size_t max_cname_chain = 8;
constexpr int max_seed_attempts = 16;
constexpr std::uint32_t min_slots = 16;

std::uint64_t random_seed()
{
  std::uint64_t seed = 0;
  std::size_t got = 0;
  while (got < sizeof seed) {
    ssize_t n = getrandom(reinterpret_cast<char*>(&seed) + got, sizeof seed - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw ZoneError(std::string("getrandom: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  return seed;
}

bool is_wildcard(std::string_view name)
{
  return name.size() >= 2 && name[0] == 1 && name[1] == '*';
}

// The arena: answer objects, identical ones stored once, a fast one never across a chunk.
class Arena {
 public:
  struct Placed {
    std::uint32_t offset;
    bool slow;
  };

  Placed place(std::string&& object)
  {
    auto found = index_.find(object);
    if (found != index_.end())
      return found->second;
    bool slow = object.size() > AC_DNS_FAST_MAX;
    std::size_t at = (bytes_.size() + 3) & ~std::size_t{3};
    if (!slow && at / AC_DNS_CHUNK != (at + object.size() - 1) / AC_DNS_CHUNK)
      at = (at + AC_DNS_CHUNK - 1) / AC_DNS_CHUNK * AC_DNS_CHUNK;
    if (at + object.size() > UINT32_MAX - AC_DNS_CHUNK)
      throw ZoneError("the answer table's arena is over 4 GiB");
    bytes_.resize(at + object.size());
    std::memcpy(bytes_.data() + at, object.data(), object.size());
    Placed placed{static_cast<std::uint32_t>(at), slow};
    slow_ += slow;
    index_.emplace(std::move(object), placed);
    return placed;
  }

  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  std::size_t objects() const { return index_.size(); }
  std::size_t slow() const { return slow_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::unordered_map<std::string, Placed> index_;
  std::size_t slow_ = 0;
};

struct Entry {
  std::uint32_t name;  // index into Compiler::names_
  std::uint16_t qtype;
  std::uint16_t zone;
  std::uint32_t answer;
  std::uint16_t flags;
  std::uint32_t answer_do;
};

// A name of the zone as the compiler sees it: a node with records, or an empty non-terminal.
struct Info {
  const Node* node = nullptr;  // null: empty non-terminal
  bool cut = false;            // NS below the apex
  bool occluded = false;       // below a cut: not served
};

class ZoneCompiler {
 public:
  ZoneCompiler(const Zone& zone, std::uint16_t index, Arena& arena, std::vector<std::string_view>& names,
               std::vector<Entry>& entries, std::deque<WireName>& ents)
      : zone_(zone), index_(index), arena_(arena), names_(names), entries_(entries), ents_(ents)
  {
  }

  ac_dns_zone run()
  {
    const Node& apex = zone_.apex();
    for (const auto& [name, node] : zone_.nodes)
      signed_ = signed_ || node.find(rrtype::RRSIG);
    if (const RRset* param = apex.find(rrtype::NSEC3PARAM); signed_ && param)
      nsec3_ = nsec3_params(param->rdata.front());
    map_names();
    soa_ = apex.find(rrtype::SOA);
    negative_ttl_ = std::min(soa_->ttl, zone_.soa_minimum);
    nodata_ = arena_.place(negative(apex.owner, 0, AC_DNS_OUT_NODATA, false));
    auto nxdomain = arena_.place(negative(apex.owner, 3, AC_DNS_OUT_NXDOMAIN, false));
    auto nxdomain_do = signed_ ? arena_.place(negative(apex.owner, 3, AC_DNS_OUT_NXDOMAIN, true)) : nxdomain;
    for (const auto& [name, info] : info_) {
      if (info.occluded)
        continue;
      try {
        emit(name, info);
      } catch (const AnswerTooLarge& e) {
        throw ZoneError(zone_.where(info.node ? info.node->line : 0) + ": " + name_to_text(name) + ": " + e.what());
      }
    }
    ac_dns_zone row{nxdomain.offset, zone_.serial, nxdomain_do.offset, 0, 0, 0};
    if (signed_) {
      row.flags = AC_DNS_Z_SIGNED | (nsec3_ ? AC_DNS_Z_NSEC3 : 0u);
      row.proofs = arena_.place(proofs()).offset;
    }
    return row;
  }

 private:
  void map_names()
  {
    info_.reserve(zone_.nodes.size() * 2);
    for (const auto& [name, node] : zone_.nodes) {
      if (nsec3_ && parent_name(name) == zone_.origin && nsec3_only(node)) {
        // An NSEC3 record's owner is a hash, no name of the zone: kept apart for the proofs.
        if (std::string h = nsec3_owner_hash(node.owner); !h.empty())
          nsec3_chain_.emplace_back(std::move(h), &node);
        continue;
      }
      if (node.find(rrtype::NSEC))
        nsec_chain_.push_back(&node);
      info_.emplace(name, Info{&node, name != zone_.origin && node.find(rrtype::NS) != nullptr, false});
    }
    std::sort(nsec3_chain_.begin(), nsec3_chain_.end());
    std::sort(nsec_chain_.begin(), nsec_chain_.end(),
              [](const Node* a, const Node* b) { return canonical_less(a->owner, b->owner); });
    // Empty non-terminals: every name between a node and the apex.
    for (const auto& [name, node] : zone_.nodes) {
      for (std::string_view p = parent_name(name); p.size() > zone_.origin.size(); p = parent_name(p)) {
        auto it = info_.find(p);
        if (it != info_.end()) {
          if (!it->second.node)
            break;  // an empty non-terminal already has its ancestors
          continue;
        }
        ents_.emplace_back(p);
        info_.emplace(ents_.back(), Info{});
      }
    }
    for (auto& [name, info] : info_) {
      for (std::string_view p = parent_name(name); p.size() > zone_.origin.size(); p = parent_name(p)) {
        auto it = info_.find(p);
        if (it != info_.end() && it->second.cut) {
          info.occluded = true;
          break;
        }
      }
    }
  }

  std::string negative(std::string_view apex, std::uint8_t rcode, std::uint8_t outcome, bool dnssec)
  {
    AnswerBuilder b(apex, Query::suffix);
    add_soa(b, dnssec);
    return b.finish(rcode, AC_DNS_A_AA, outcome);
  }

  static bool nsec3_only(const Node& node)
  {
    for (const auto& set : node.rrsets) {
      if (set.type != rrtype::NSEC3 && !(set.type == rrtype::RRSIG && set.covered == rrtype::NSEC3))
        return false;
    }
    return true;
  }

  // The zone's denial chain for the slow path (abi.h struct ac_dns_proofs).
  std::string proofs() const
  {
    ac_dns_proofs h{};
    h.origin_len = static_cast<__u8>(zone_.origin.size());
    std::memcpy(h.origin, zone_.origin.data(), zone_.origin.size());
    if (nsec3_) {
      h.iterations = nsec3_->iterations;
      h.salt_len = static_cast<__u8>(nsec3_->salt.size());
      std::memcpy(h.salt, nsec3_->salt.data(), nsec3_->salt.size());
    }
    std::string out(sizeof h, '\0');
    auto link = [&](std::string_view key, const Node& node, std::uint16_t type) {
      std::string records;
      std::uint8_t n = 0;
      auto put = [&](const RRset& set, std::uint32_t ttl) {
        for (const auto& rd : set.rdata) {
          const std::uint8_t fixed[10] = {static_cast<std::uint8_t>(set.type >> 8), static_cast<std::uint8_t>(set.type), 0, 1,
                                          static_cast<std::uint8_t>(ttl >> 24), static_cast<std::uint8_t>(ttl >> 16),
                                          static_cast<std::uint8_t>(ttl >> 8), static_cast<std::uint8_t>(ttl),
                                          static_cast<std::uint8_t>(rd.size() >> 8), static_cast<std::uint8_t>(rd.size())};
          records += node.owner;
          records.append(reinterpret_cast<const char*>(fixed), sizeof fixed);
          records += rd;
          n++;
        }
      };
      const RRset& set = *node.find(type);
      put(set, set.ttl);
      if (const RRset* sig = node.sigs(type))
        put(*sig, set.ttl);
      ac_dns_proof_link l{};
      l.size = static_cast<__u16>(sizeof l + key.size() + records.size());
      l.key_len = static_cast<__u8>(key.size());
      l.records = n;
      l.records_len = static_cast<__u16>(records.size());
      out.append(reinterpret_cast<const char*>(&l), sizeof l);
      out += key;
      out += records;
      h.count++;
    };
    if (nsec3_) {
      for (const auto& [hash, node] : nsec3_chain_)
        link(hash, *node, rrtype::NSEC3);
    } else {
      for (const Node* node : nsec_chain_)
        link(lower_name(node->owner), *node, rrtype::NSEC);
    }
    h.size = static_cast<__u32>(out.size());
    std::memcpy(out.data(), &h, sizeof h);
    return out;
  }

  // The signatures to send with an RRset in a DO answer: none in an unsigned zone.
  const RRset* sigs(const Node& node, std::uint16_t type) const { return signed_ ? node.sigs(type) : nullptr; }

  // The SOA of a negative answer (RFC 2308), with its RRSIGs for DO (RFC 4035 3.1.3.1, 3.1.3.2).
  void add_soa(AnswerBuilder& b, bool dnssec) const
  {
    const Node& apex = zone_.apex();
    b.add_signed(Section::authority, apex.owner, false, *soa_, negative_ttl_, dnssec ? sigs(apex, rrtype::SOA) : nullptr);
  }

  void add_proof_record(AnswerBuilder& b, const Node& n, std::uint16_t type, bool owner_is_query) const
  {
    const RRset* set = n.find(type);
    b.add_signed(Section::authority, n.owner, owner_is_query, *set, set->ttl, n.sigs(type));
  }

  // The NSEC whose owner comes last before `name` in canonical order (RFC 4034 6.1), wrapping.
  const Node* nsec_covering(std::string_view name) const
  {
    if (nsec_chain_.empty())
      return nullptr;
    auto it = std::upper_bound(nsec_chain_.begin(), nsec_chain_.end(), name,
                               [](std::string_view n, const Node* node) { return canonical_less(n, node->owner); });
    return it == nsec_chain_.begin() ? nsec_chain_.back() : *(it - 1);
  }

  // The NSEC3 whose hash is `name`'s (match) or, match false, the one whose span covers it.
  const Node* nsec3_for(std::string_view name, bool match) const
  {
    if (nsec3_chain_.empty())
      return nullptr;
    std::string h = nsec3_hash(name, *nsec3_);
    auto it = std::lower_bound(nsec3_chain_.begin(), nsec3_chain_.end(), h,
                               [](const auto& e, const std::string& x) { return e.first < x; });
    if (it != nsec3_chain_.end() && it->first == h)
      return match ? it->second : nullptr;
    if (match)
      return nullptr;
    return it == nsec3_chain_.begin() ? nsec3_chain_.back().second : (it - 1)->second;
  }

  // The proof that `name` (lowercased; node: its node, null for an empty non-terminal) has no
  // RRset of the type asked (RFC 4035 3.1.3.1, RFC 5155 7.2.3, 7.2.4): its NSEC, the NSEC covering
  // an empty non-terminal, its NSEC3; without one (opt-out) the closest provable encloser's NSEC3 and
  // the NSEC3 covering the next closer name (RFC 5155 7.2.4's opt-out case). owner_is_query: the
  // name is the object's query name (0xC00C).
  void add_denial(AnswerBuilder& b, std::string_view name, const Node* node, bool owner_is_query) const
  {
    if (!nsec3_) {
      const Node* n = node && node->find(rrtype::NSEC) ? node : nsec_covering(name);
      if (n)
        add_proof_record(b, *n, rrtype::NSEC, owner_is_query && n == node);
      return;
    }
    if (const Node* n = nsec3_for(name, true)) {
      add_proof_record(b, *n, rrtype::NSEC3, false);
      return;
    }
    std::string_view next = name;
    for (std::string_view p = parent_name(name); p.size() >= zone_.origin.size(); next = p, p = parent_name(p)) {
      if (const Node* encloser = nsec3_for(p, true)) {
        add_proof_record(b, *encloser, rrtype::NSEC3, false);
        if (const Node* cover = nsec3_for(next, false); cover && cover != encloser)
          add_proof_record(b, *cover, rrtype::NSEC3, false);
        return;
      }
      if (p == zone_.origin)
        return;
    }
  }

  // NODATA for DO: the SOA and the denial of the name, both with their RRSIGs.
  Arena::Placed nodata_do(std::string_view name, const Node* node, Query query)
  {
    if (!signed_)
      return nodata_;
    AnswerBuilder b(node ? std::string_view(node->owner) : name, query);
    add_soa(b, true);
    add_denial(b, name, node, query == Query::exact);
    return arena_.place(b.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NODATA));
  }

  // A referral's authority section past its NS (RFC 4035 3.1.4): the DS RRset and its RRSIGs, or
  // the proof that the cut has none.
  void add_delegation_proof(AnswerBuilder& b, const Node& cut, std::string_view cut_key) const
  {
    if (const RRset* ds = cut.find(rrtype::DS))
      b.add_signed(Section::authority, cut.owner, false, *ds, ds->ttl, cut.sigs(rrtype::DS));
    else
      add_denial(b, cut_key, &cut, false);
  }

  void entry(std::string_view name, std::uint16_t qtype, Arena::Placed placed, std::uint16_t flags = 0)
  {
    entry(name, qtype, placed, placed, flags);
  }

  // placed_do: the answer to DO queries (the same object in an unsigned zone).
  void entry(std::string_view name, std::uint16_t qtype, Arena::Placed placed, Arena::Placed placed_do,
             std::uint16_t flags)
  {
    if (entries_.empty() || names_[entries_.back().name] != name)
      names_.push_back(name);
    auto n = static_cast<std::uint32_t>(names_.size() - 1);
    entries_.push_back(Entry{n, qtype, index_, placed.offset,
                             static_cast<std::uint16_t>(flags | (placed.slow ? AC_DNS_E_SLOW : 0) |
                                                        (placed_do.slow && placed_do.offset != placed.offset ? AC_DNS_E_DO_SLOW : 0)),
                             placed_do.offset});
  }

  void emit(std::string_view name, const Info& info)
  {
    if (!info.node) {
      entry(name, 0, nodata_, nodata_do(name, nullptr, Query::exact), 0);
      return;
    }
    const Node& node = *info.node;
    if (info.cut) {
      Arena::Placed referral[2];
      for (bool dnssec : {false, true}) {
        AnswerBuilder b(node.owner, Query::suffix);
        b.add(Section::authority, node.owner, false, *node.find(rrtype::NS));
        if (dnssec)
          add_delegation_proof(b, node, name);
        add_additional(b, *node.find(rrtype::NS), false);
        referral[dnssec] = arena_.place(b.finish(0, AC_DNS_A_GLUE, AC_DNS_OUT_REFERRAL));
        if (!signed_) {
          referral[1] = referral[0];
          break;
        }
      }
      entry(name, 0, referral[0], referral[1], AC_DNS_E_DELEGATION);
      // DS belongs to the parent side of the cut (RFC 4035 3.1.4.1).
      if (const RRset* ds = node.find(rrtype::DS))
        entry(name, rrtype::DS, positive(node, Query::exact, *ds, false), positive(node, Query::exact, *ds, true), 0);
      else
        entry(name, rrtype::DS, nodata_, nodata_do(name, &node, Query::exact), 0);
      return;
    }
    Query query = is_wildcard(name) ? Query::wildcard : Query::exact;
    // A wildcard's DO answers need the proof that the query name does not exist (RFC 4035
    // 3.1.3.3, RFC 5155 7.2.6): it depends on the name, the slow path adds it.
    const std::uint16_t proof = signed_ && query == Query::wildcard ? AC_DNS_E_DO_PROOF : 0;
    for (const auto& set : node.rrsets) {
      if (set.type == rrtype::RRSIG) {
        if (&set == node.find(rrtype::RRSIG))  // every RRSIG of the node, in one answer
          entry(name, set.type, rrsigs(node, query), rrsigs(node, query), proof);
        continue;
      }
      entry(name, set.type, positive(node, query, set, false), positive(node, query, set, true), proof);
    }
    if (node.find(rrtype::CNAME))
      emit_chain(name, node, query);
    else
      entry(name, 0, nodata_, nodata_do(name, &node, query), proof);
  }

  Arena::Placed positive(const Node& node, Query query, const RRset& set, bool dnssec)
  {
    if (dnssec && !signed_)
      return positive(node, query, set, false);
    AnswerBuilder b(node.owner, query);
    b.add_signed(Section::answer, node.owner, true, set, set.ttl, dnssec ? sigs(node, set.type) : nullptr);
    add_additional(b, set, dnssec);
    return arena_.place(b.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NOERROR));
  }

  // A query for RRSIG: every RRSIG the name has (RFC 4035 3.1.5 leaves it open; as Knot does).
  Arena::Placed rrsigs(const Node& node, Query query)
  {
    AnswerBuilder b(node.owner, query);
    for (const auto& set : node.rrsets) {
      if (set.type == rrtype::RRSIG)
        b.add(Section::answer, node.owner, true, set);
    }
    return arena_.place(b.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NOERROR));
  }

  // Knot's additional records: the A and AAAA of each NS, MX and SRV target this zone holds
  // (glue below a cut included), once per name, in the order the targets come.
  void add_additional(AnswerBuilder& b, const RRset& set, bool dnssec) const
  {
    std::size_t skip = set.type == rrtype::MX ? 2 : set.type == rrtype::SRV ? 6 : 0;
    if (set.type != rrtype::NS && !skip)
      return;
    std::vector<WireName> done;
    for (const auto& rdata : set.rdata) {
      std::string_view target = std::string_view(rdata).substr(skip);
      target = target.substr(0, name_length(target));
      WireName key = lower_name(target);
      if (std::find(done.begin(), done.end(), key) != done.end())
        continue;
      done.push_back(key);
      auto it = zone_.nodes.find(key);
      if (it == zone_.nodes.end())
        continue;
      for (std::uint16_t type : {rrtype::A, rrtype::AAAA})
        if (const RRset* address = it->second.find(type))
          b.add_signed(Section::additional, target, false, *address, address->ttl,
                       dnssec ? sigs(it->second, type) : nullptr);
    }
  }

  // data: RRsets follow; nodata, nxdomain: the SOA follows; delegation: the cut's NS follow
  // (as Knot: the child's servers answer the rest); outside: nothing follows.
  enum class End { data, nodata, nxdomain, delegation, outside };

  struct Target {
    End end;
    const Node* node = nullptr;  // data: the node (maybe a wildcard); delegation: the cut
    bool at_cut = false;         // delegation: the name is the cut itself (its DS is ours)
    bool wildcard = false;       // data: the node is the wildcard the name expands
  };

  struct Chain {
    struct Link {
      std::string_view owner;  // as written
      const Node* node;
    };
    std::vector<Link> links;
    Target end{End::outside};
    std::string_view name;  // the last CNAME's target as written: the owner of what follows
  };

  // The topmost cut above an occluded name.
  const Node* cut_above(std::string_view name) const
  {
    const Node* cut = nullptr;
    for (std::string_view p = parent_name(name); p.size() > zone_.origin.size(); p = parent_name(p)) {
      auto it = info_.find(p);
      if (it != info_.end() && it->second.cut)
        cut = it->second.node;
    }
    return cut;
  }

  // Where a name leads inside this zone, as the packet path's lookup would go.
  Target resolve(std::string_view target) const
  {
    if (!is_at_or_below(target, zone_.origin))
      return {End::outside};
    auto it = info_.find(target);
    bool wildcard = false;
    if (it == info_.end()) {
      std::string_view p = parent_name(target);
      while ((it = info_.find(p)) == info_.end())
        p = parent_name(p);
      if (it->second.cut)
        return {End::delegation, it->second.node};
      if (it->second.occluded)
        return {End::delegation, cut_above(p)};
      std::string wild = std::string("\1*", 2) + std::string(p);
      it = info_.find(wild);
      if (it == info_.end())
        return {End::nxdomain};
      wildcard = true;
    }
    if (it->second.cut)
      return {End::delegation, it->second.node, true};
    if (it->second.occluded)
      return {End::delegation, cut_above(it->first)};
    if (!it->second.node)
      return {End::nodata};
    return {End::data, it->second.node, false, wildcard};
  }

  Chain follow(std::string_view owner, const Node& start) const
  {
    Chain chain;
    std::unordered_set<const Node*> seen{&start};
    const Node* at = &start;
    std::string_view written = owner;
    for (;;) {
      const RRset* cname = at->find(rrtype::CNAME);
      if (chain.links.size() == max_cname_chain)
        throw ZoneError(zone_.where(start.line) + ": the CNAME chain from " + name_to_text(start.owner) +
                        " is longer than " + std::to_string(max_cname_chain));
      chain.links.push_back({written, at});
      std::string_view target = cname->rdata.front();
      chain.end = resolve(lower_name(target));
      chain.name = target;
      if (chain.end.end != End::data || !chain.end.node->find(rrtype::CNAME))
        return chain;
      if (!seen.insert(chain.end.node).second)
        throw ZoneError(zone_.where(start.line) + ": CNAME loop from " + name_to_text(start.owner) + " at " +
                        name_to_text(target));
      at = chain.end.node;
      written = target;
    }
  }

  AnswerBuilder chain_builder(std::string_view owner, Query query, const Chain& chain, bool dnssec) const
  {
    AnswerBuilder b(owner, query);
    bool first = true;
    for (const auto& link : chain.links) {
      const RRset& cname = *link.node->find(rrtype::CNAME);
      b.add_signed(Section::answer, link.owner, first, cname, cname.ttl, dnssec ? sigs(*link.node, rrtype::CNAME) : nullptr);
      first = false;
    }
    return b;
  }

  void emit_chain(std::string_view name, const Node& node, Query query)
  {
    Chain chain = follow(node.owner, node);
    const Target& end = chain.end;
    // A DO answer whose chain ends at a name that does not exist, or at a wildcard's expansion,
    // needs the proof about that last target (RFC 4035 3.1.3.2-4, RFC 5155 7.2.2, 7.2.5, 7.2.6),
    // which depends on where the target sorts among the zone's names, as a wildcard query name's
    // own proof does: the fast paths pass both (dns_signed_proof) and the slow path adds them,
    // the target's told by AC_DNS_A_END_PROOF. What does not depend on the target (the SOA, a
    // wildcard NODATA's wildcard NSEC/NSEC3) is in the object.
    const bool end_proof = signed_ && (end.end == End::nxdomain || (end.end == End::data && end.wildcard));
    const std::uint8_t end_flag = end_proof ? AC_DNS_A_END_PROOF : 0;
    const std::uint16_t proof = signed_ && (query == Query::wildcard || end_proof) ? AC_DNS_E_DO_PROOF : 0;
    Arena::Placed node_entry[2];
    for (bool dnssec : {false, true}) {
      AnswerBuilder b = chain_builder(node.owner, query, chain, dnssec);
      switch (end.end) {
      case End::data:
      case End::nodata:
        add_soa(b, dnssec);
        if (dnssec)
          add_denial(b, lower_name(end.wildcard ? std::string_view(end.node->owner) : chain.name), end.node, false);
        node_entry[dnssec] = arena_.place(b.finish(0, AC_DNS_A_AA | (dnssec ? end_flag : 0), AC_DNS_OUT_NODATA));
        break;
      case End::nxdomain:
        add_soa(b, dnssec);
        node_entry[dnssec] = arena_.place(b.finish(3, AC_DNS_A_AA | (dnssec ? end_flag : 0), AC_DNS_OUT_NXDOMAIN));
        break;
      case End::delegation:
        b.add(Section::authority, end.node->owner, false, *end.node->find(rrtype::NS));
        if (dnssec)
          add_delegation_proof(b, *end.node, lower_name(end.node->owner));
        add_additional(b, *end.node->find(rrtype::NS), false);
        node_entry[dnssec] = arena_.place(b.finish(0, AC_DNS_A_AA | AC_DNS_A_GLUE, AC_DNS_OUT_NOERROR));
        break;
      case End::outside:
        node_entry[dnssec] = arena_.place(b.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NOERROR));
        break;
      }
      if (!signed_) {
        node_entry[1] = node_entry[0];
        break;
      }
    }
    entry(name, 0, node_entry[0], node_entry[1], proof);
    if (end.end == End::delegation && end.at_cut && !node.find(rrtype::DS)) {
      // The cut's DS is the parent's: answered here, not referred.
      Arena::Placed ds_entry[2];
      for (bool dnssec : {false, true}) {
        AnswerBuilder ds = chain_builder(node.owner, query, chain, dnssec);
        if (const RRset* set = end.node->find(rrtype::DS)) {
          ds.add_signed(Section::answer, chain.name, false, *set, set->ttl, dnssec ? sigs(*end.node, rrtype::DS) : nullptr);
          ds_entry[dnssec] = arena_.place(ds.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NOERROR));
        } else {
          add_soa(ds, dnssec);
          if (dnssec)
            add_denial(ds, lower_name(end.node->owner), end.node, false);
          ds_entry[dnssec] = arena_.place(ds.finish(0, AC_DNS_A_AA, AC_DNS_OUT_NODATA));
        }
        if (!signed_) {
          ds_entry[1] = ds_entry[0];
          break;
        }
      }
      entry(name, rrtype::DS, ds_entry[0], ds_entry[1], proof);
    }
    if (end.end != End::data)
      return;
    for (const auto& set : end.node->rrsets) {
      if (node.find(set.type))
        continue;  // the owner's own RRset of that type (CNAME, RRSIG, NSEC) answers
      Arena::Placed typed[2];
      for (bool dnssec : {false, true}) {
        AnswerBuilder t = chain_builder(node.owner, query, chain, dnssec);
        t.add_signed(Section::answer, chain.name, false, set, set.ttl, dnssec ? sigs(*end.node, set.type) : nullptr);
        add_additional(t, set, dnssec);
        typed[dnssec] = arena_.place(t.finish(0, AC_DNS_A_AA | (dnssec ? end_flag : 0), AC_DNS_OUT_NOERROR));
        if (!signed_) {
          typed[1] = typed[0];
          break;
        }
      }
      entry(name, set.type, typed[0], typed[1], proof);
    }
  }

  const Zone& zone_;
  std::uint16_t index_;
  Arena& arena_;
  std::vector<std::string_view>& names_;
  std::vector<Entry>& entries_;
  std::unordered_map<std::string_view, Info> info_;
  std::deque<WireName>& ents_;  // empty non-terminals' names: `names_` points into them
  const RRset* soa_ = nullptr;
  bool signed_ = false;                   // the zone has RRSIGs: DO answers carry them
  std::optional<Nsec3Params> nsec3_;      // NSEC3PARAM at the apex: denials by NSEC3
  std::vector<std::pair<std::string, const Node*>> nsec3_chain_;  // (raw hash, node), sorted
  std::vector<const Node*> nsec_chain_;   // NSEC owners in canonical order
  std::uint32_t negative_ttl_ = 0;
  Arena::Placed nodata_{};
};

std::uint32_t slot_count_for(std::size_t entries)
{
  std::uint64_t n = min_slots;
  while (n < 2 * entries)
    n <<= 1;
  if (n > UINT32_MAX / 2)
    throw ZoneError("too many names for one answer table");
  return static_cast<std::uint32_t>(n);
}

// A seed under which no two names of the table share (hash, length), and the slots it gives.
std::vector<ac_dns_slot> place_slots(const std::vector<std::string_view>& names, const std::vector<Entry>& entries,
                                     std::uint32_t slot_count, std::uint64_t& seed)
{
  std::vector<std::uint64_t> hashes(names.size());
  std::vector<std::uint32_t> order(names.size());
  for (int attempt = 0; attempt < max_seed_attempts; attempt++) {
    seed = random_seed();
    for (std::size_t i = 0; i < names.size(); i++) {
      hashes[i] = ac_dns_hash_name(seed, reinterpret_cast<const __u8*>(names[i].data()),
                                   static_cast<__u32>(names[i].size()));
      order[i] = static_cast<std::uint32_t>(i);
    }
    auto key = [&](std::uint32_t i) { return std::pair(hashes[i], names[i].size()); };
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return key(a) < key(b); });
    bool collision = false;
    for (std::size_t i = 1; i < order.size() && !collision; i++)
      collision = key(order[i]) == key(order[i - 1]);
    if (collision)
      continue;
    std::vector<ac_dns_slot> slots(slot_count);
    for (const auto& e : entries) {
      ac_dns_slot s{};
      s.key.hash = hashes[e.name];
      s.key.qtype = e.qtype;
      s.key.name_len = static_cast<__u8>(names[e.name].size());
      s.entry.answer = e.answer;
      s.entry.zone = e.zone;
      s.entry.flags = e.flags;
      s.entry.answer_do = e.answer_do;
      std::uint32_t i = ac_dns_slot_index(&s.key, slot_count);
      while (slots[i].key.name_len != 0)
        i = (i + 1) & (slot_count - 1);
      slots[i] = s;
    }
    return slots;
  }
  throw ZoneError("no hash seed without collisions in " + std::to_string(max_seed_attempts) + " attempts");
}

void check_overlaps(const std::vector<Zone>& zones)
{
  for (std::size_t i = 0; i < zones.size(); i++) {
    for (std::size_t j = 0; j < zones.size(); j++) {
      if (i != j && is_at_or_below(zones[i].origin, zones[j].origin) && (zones[i].origin != zones[j].origin || i > j))
        throw ZoneError(zones[i].file + ": zone " + name_to_text(zones[i].origin) +
                        (zones[i].origin == zones[j].origin ? " is configured twice (also from "
                                                            : " lies inside zone " + name_to_text(zones[j].origin) + " (from ") +
                        zones[j].file + "): overlapping zones are not supported");
    }
  }
}

std::size_t round_up(std::size_t n, std::size_t to)
{
  return (n + to - 1) / to * to;
}

}  // namespace

CompiledTable compile(const std::vector<Zone>& zones)
{
  if (zones.empty())
    throw ZoneError("no zones to compile");
  if (zones.size() > UINT16_MAX)
    throw ZoneError("more than 65535 zones");
  check_overlaps(zones);

  Arena arena;
  std::vector<std::string_view> names;
  std::vector<Entry> entries;
  std::deque<WireName> ents;
  std::vector<ac_dns_zone> zone_rows;
  CompiledTable out;
  for (std::size_t i = 0; i < zones.size(); i++) {
    const Zone& z = zones[i];
    ZoneCompiler zc(z, static_cast<std::uint16_t>(i), arena, names, entries, ents);
    zone_rows.push_back(zc.run());
    out.zones.push_back(ZoneStats{name_to_text(z.origin), z.file, z.serial, z.records, z.nodes.size(),
                                  (zone_rows.back().flags & AC_DNS_Z_SIGNED) != 0, dnssec_warnings(z, std::time(nullptr))});
  }

  std::uint32_t slot_count = slot_count_for(entries.size());
  std::uint64_t seed = 0;
  std::vector<ac_dns_slot> slots = place_slots(names, entries, slot_count, seed);

  ac_dns_table t{};
  t.magic = AC_DNS_TABLE_MAGIC;
  t.version = AC_DNS_TABLE_VERSION;
  t.seed = seed;
  t.slot_count = slot_count;
  t.entry_count = static_cast<__u32>(entries.size());
  t.zone_count = static_cast<__u32>(zone_rows.size());
  t.arena_size = static_cast<__u32>(round_up(std::max<std::size_t>(arena.bytes().size(), 1), AC_DNS_CHUNK));
  std::size_t slots_at = round_up(sizeof t, 64);
  std::size_t zones_at = slots_at + slots.size() * sizeof(ac_dns_slot);
  std::size_t arena_at = round_up(zones_at + zone_rows.size() * sizeof(ac_dns_zone), AC_DNS_CHUNK);
  std::size_t total = arena_at + t.arena_size;
  if (total > UINT32_MAX)
    throw ZoneError("the answer table is over 4 GiB");
  t.slots = static_cast<__u32>(slots_at);
  t.zones = static_cast<__u32>(zones_at);
  t.arena = static_cast<__u32>(arena_at);

  out.image.assign(total, 0);
  std::memcpy(out.image.data(), &t, sizeof t);
  std::memcpy(out.image.data() + slots_at, slots.data(), slots.size() * sizeof(ac_dns_slot));
  std::memcpy(out.image.data() + zones_at, zone_rows.data(), zone_rows.size() * sizeof(ac_dns_zone));
  std::memcpy(out.image.data() + arena_at, arena.bytes().data(), arena.bytes().size());
  out.entries = entries.size();
  out.answers = arena.objects();
  out.slow_answers = arena.slow();
  return out;
}

CompiledTable compile_zones(const std::vector<ZoneSource>& sources)
{
  std::vector<Zone> zones;
  zones.reserve(sources.size());
  for (const auto& s : sources)
    zones.push_back(read_zone(s));
  return compile(zones);
}

}  // namespace anycastd::dns
