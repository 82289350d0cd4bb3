// SPDX-License-Identifier: Apache-2.0
#include "dns/zone_reader.h"

extern "C" {
#include <libzscanner/scanner.h>
}

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

namespace anycastd::dns {

const RRset* Node::find(std::uint16_t type) const
{
  for (const auto& r : rrsets) {
    if (r.type == type)
      return &r;
  }
  return nullptr;
}

const RRset* Node::sigs(std::uint16_t covered) const
{
  for (const auto& r : rrsets) {
    if (r.type == rrtype::RRSIG && r.covered == covered)
      return &r;
  }
  return nullptr;
}

namespace {

constexpr std::uint16_t class_in = 1;
constexpr std::uint32_t default_ttl = 3600;  // Knot's default when a file sets no $TTL

// The scanner state is ~200 KiB: on the heap, initialised and deinitialised as one.
class Scanner {
 public:
  Scanner(const std::string& origin_text, const std::string& what)
      : s_(std::make_unique<zs_scanner_t>())
  {
    std::memset(s_.get(), 0, sizeof(zs_scanner_t));
    if (zs_init(s_.get(), origin_text.c_str(), class_in, default_ttl) != 0) {
      std::string msg = what + ": bad origin '" + origin_text + "': " + zs_strerror(s_->error.code);
      zs_deinit(s_.get());
      throw ZoneError(msg);
    }
  }
  ~Scanner() { zs_deinit(s_.get()); }
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  zs_scanner_t* get() { return s_.get(); }
  zs_scanner_t* operator->() { return s_.get(); }

 private:
  std::unique_ptr<zs_scanner_t> s_;
};

std::string with_dot(std::string origin)
{
  if (origin.empty() || origin.back() != '.')
    origin += '.';
  return origin;
}

bool cname_may_share(std::uint16_t type)
{
  return type == rrtype::RRSIG || type == rrtype::NSEC;
}

// What the scanner's callbacks fill in; they are C callbacks and must not throw, so the first
// error is kept here and the scan stopped.
struct ReadState {
  Zone* zone;
  std::optional<std::string> error;
  std::uint32_t first_line = 0;  // of the first record, where a missing SOA is reported

  void fail(zs_scanner_t* s, const std::string& msg)
  {
    // An error inside an $INCLUDE comes first from the included file's scanner; the including
    // one then reports the $INCLUDE line: the first names the place to fix.
    if (!error)
      error = std::string(s->file.name ? s->file.name : zone->file.c_str()) + ":" +
              std::to_string(s->line_counter) + ": " + msg;
    s->state = ZS_STATE_STOP;
  }
};

}  // namespace

std::string type_to_text(std::uint16_t type)
{
  switch (type) {
  case rrtype::A: return "A";
  case rrtype::NS: return "NS";
  case rrtype::CNAME: return "CNAME";
  case rrtype::SOA: return "SOA";
  case rrtype::MX: return "MX";
  case rrtype::TXT: return "TXT";
  case rrtype::AAAA: return "AAAA";
  case rrtype::PTR: return "PTR";
  case rrtype::SRV: return "SRV";
  case rrtype::DS: return "DS";
  case rrtype::RRSIG: return "RRSIG";
  case rrtype::NSEC: return "NSEC";
  case rrtype::DNSKEY: return "DNSKEY";
  case rrtype::NSEC3: return "NSEC3";
  case rrtype::NSEC3PARAM: return "NSEC3PARAM";
  default: return "TYPE" + std::to_string(type);
  }
}

namespace {

std::uint32_t be32(const std::uint8_t* p)
{
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

void on_record(zs_scanner_t* s)
{
  auto* st = static_cast<ReadState*>(s->process.data);
  Zone& zone = *st->zone;
  std::string_view owner(reinterpret_cast<const char*>(s->r_owner), s->r_owner_length);
  WireName key = lower_name(owner);
  auto line = static_cast<std::uint32_t>(s->line_counter);
  if (!st->first_line)
    st->first_line = line;

  if (s->r_class != class_in)
    return st->fail(s, "class " + std::to_string(s->r_class) + " is not IN: only class IN is served");
  if (!is_at_or_below(key, zone.origin))
    return st->fail(s, "owner " + name_to_text(owner) + " is outside the zone " + name_to_text(zone.origin));
  std::string rdata(reinterpret_cast<const char*>(s->r_data), s->r_data_length);
  bool apex = key == zone.origin;
  if (s->r_type == rrtype::SOA && !apex)
    return st->fail(s, "SOA record at " + name_to_text(owner) + ", not at the zone apex " + name_to_text(zone.origin));

  auto [it, fresh] = zone.nodes.try_emplace(std::move(key));
  Node& node = it->second;
  if (fresh) {
    node.owner = std::string(owner);
    node.line = line;
  }
  // An RRSIG's RDATA starts with the type it covers (RFC 4034 3.1).
  std::uint16_t covered = 0;
  if (s->r_type == rrtype::RRSIG) {
    if (s->r_data_length < 2)
      return st->fail(s, "RRSIG at " + name_to_text(owner) + " without the type it covers");
    covered = static_cast<std::uint16_t>((s->r_data[0] << 8) | s->r_data[1]);
  }
  RRset* set = nullptr;
  for (auto& r : node.rrsets) {
    if (r.type == s->r_type && r.covered == covered)
      set = &r;
  }
  if (!set) {
    if (s->r_type == rrtype::CNAME) {
      for (const auto& r : node.rrsets) {
        if (!cname_may_share(r.type))
          return st->fail(s, "CNAME at " + name_to_text(owner) + " beside other data (" + type_to_text(r.type) +
                                 " at line " + std::to_string(r.line) + "): a CNAME must be alone at its name");
      }
    } else if (!cname_may_share(s->r_type)) {
      if (const RRset* c = node.find(rrtype::CNAME))
        return st->fail(s, type_to_text(s->r_type) + " at " + name_to_text(owner) + " beside its CNAME (line " +
                               std::to_string(c->line) + "): a CNAME must be alone at its name");
    }
    node.rrsets.push_back(RRset{s->r_type, covered, s->r_ttl, line, {}});
    set = &node.rrsets.back();
  }
  set->ttl = s->r_ttl;  // an RRset has one TTL (RFC 2181 5.2): the last record's, as Knot 3.2
  for (const auto& r : set->rdata) {
    if (r == rdata)
      return;  // the same record twice is one record
  }
  if (s->r_type == rrtype::CNAME && !set->rdata.empty())
    return st->fail(s, "a second CNAME at " + name_to_text(owner) + " (first at line " + std::to_string(set->line) +
                           "): a name has at most one");
  if (s->r_type == rrtype::SOA) {
    if (!set->rdata.empty())
      return st->fail(s, "a second SOA record at the apex (first at line " + std::to_string(set->line) + ")");
    std::size_t mname = name_length(rdata);
    std::size_t rname = mname ? name_length(std::string_view(rdata).substr(mname)) : 0;
    if (!mname || !rname || rdata.size() != mname + rname + 20)
      return st->fail(s, "malformed SOA record");
    const auto* fixed = reinterpret_cast<const std::uint8_t*>(rdata.data() + mname + rname);
    zone.serial = be32(fixed);
    zone.soa_minimum = be32(fixed + 16);
  }
  set->rdata.push_back(std::move(rdata));
  zone.records++;
}

void on_error(zs_scanner_t* s)
{
  auto* st = static_cast<ReadState*>(s->process.data);
  std::string msg = zs_strerror(s->error.code);
  if (s->error.code == ZS_FILE_OPEN || s->error.code == ZS_FILE_ACCESS)
    msg += std::string(" (") + std::strerror(errno) + ")";
  st->fail(s, msg);
}

}  // namespace

WireName origin_to_wire(const std::string& origin)
{
  Scanner s(with_dot(origin), "zone");
  return lower_name(std::string_view(reinterpret_cast<const char*>(s->zone_origin), s->zone_origin_length));
}

Zone read_zone(const ZoneSource& source)
{
  Zone zone;
  zone.file = source.file;
  Scanner s(with_dot(source.origin), source.file);
  zone.origin = lower_name(std::string_view(reinterpret_cast<const char*>(s->zone_origin), s->zone_origin_length));

  ReadState st{&zone, std::nullopt, 0};
  if (zs_set_input_file(s.get(), source.file.c_str()) != 0)
    throw ZoneError(source.file + ": cannot read: " + zs_strerror(s->error.code) + " (" + std::strerror(errno) + ")");
  if (zs_set_processing(s.get(), on_record, on_error, &st) != 0)
    throw ZoneError(source.file + ": " + zs_strerror(s->error.code));
  int rc = zs_parse_all(s.get());
  if (st.error)
    throw ZoneError(*st.error);
  if (rc != 0)
    throw ZoneError(source.file + ":" + std::to_string(s->line_counter) + ": " + zs_strerror(s->error.code));

  auto apex = zone.nodes.find(zone.origin);
  if (apex == zone.nodes.end() || !apex->second.find(rrtype::SOA)) {
    std::uint32_t line = st.first_line ? st.first_line : 1;
    if (apex != zone.nodes.end())
      line = apex->second.line;
    throw ZoneError(source.file + ":" + std::to_string(line) + ": no SOA record at the zone apex " +
                    name_to_text(zone.origin));
  }
  return zone;
}

}  // namespace anycastd::dns
