// SPDX-License-Identifier: Apache-2.0
#include "datapath/xdp/xdp_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "anycast_xdp.skel.h"
#include "base/posix_io.h"
#include "datapath/xdp/bpf_info.h"

namespace anycastd {
namespace {

using posix_io::errno_text;

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  char line[1024];
  int n = std::vsnprintf(line, sizeof line, format, args);
  if (n < 0) return n;
  std::string_view text(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1));
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  switch (level) {
    case LIBBPF_WARN: spdlog::warn("{}", text); break;
    case LIBBPF_INFO: spdlog::info("{}", text); break;
    default: spdlog::trace("{}", text); break;
  }
  return n;
}

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + errno_text(err));
}

void update(int fd, const void* key, const void* value, const char* map, const std::string& entry) {
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0) {
    int err = errno;
    fail(std::string("writing ") + entry + " into " + map, err);
  }
}

std::string key_bytes(const void* key, std::size_t size) {
  return std::string(static_cast<const char*>(key), size);
}

// Moves an allow list's LPM trie from the set it holds to `want` while packets are looked up in
// it, so that every packet meets either the old set's longest match or the new one's, never a
// prefix in between: writes (new and changed entries) go longest prefix first, then the entries
// no longer wanted are deleted shortest first. While the new set's longest match for an address
// is not yet written, nothing of the new set that covers it is, so the old set answers; once it
// is, only an old-only prefix longer than it can still win, and that is the old set's own
// longest match, deleted after every shorter old-only prefix. Each single update is atomic for
// readers.
template <typename Key, typename Value>
void sync_trie(int fd, const char* map, const std::vector<std::pair<Key, Value>>& want,
               const std::vector<std::string>& names) {
  std::vector<std::size_t> order(want.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return want[a].first.prefixlen > want[b].first.prefixlen; });
  std::set<std::string> wanted;
  for (std::size_t i : order) {
    update(fd, &want[i].first, &want[i].second, map, names[i]);
    wanted.insert(key_bytes(&want[i].first, sizeof(Key)));
  }

  std::vector<Key> stale;
  Key key{}, next{};
  const Key* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, &next) == 0) {
    if (!wanted.count(key_bytes(&next, sizeof(Key)))) stale.push_back(next);
    key = next;
    previous = &key;
  }
  std::stable_sort(stale.begin(), stale.end(), [](const Key& a, const Key& b) { return a.prefixlen < b.prefixlen; });
  for (const Key& k : stale)
    if (bpf_map_delete_elem(fd, &k) != 0 && errno != ENOENT) fail(std::string("deleting a stale entry of ") + map, errno);
}

}  // namespace

void route_libbpf_logs_to_spdlog() {
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(libbpf_to_spdlog); });
}

void XdpProgram::SkeletonDeleter::operator()(anycast_xdp* skeleton) const {
  anycast_xdp::destroy(skeleton);
}

XdpProgram::XdpProgram(const XdpLoadOptions& options) : options_(options) {
  route_libbpf_logs_to_spdlog();
  if (options.vip_max_entries == 0 || options.allow_max_entries == 0)
    throw std::invalid_argument("XDP map sizes must be at least 1");

  skeleton_.reset(anycast_xdp::open());
  if (!skeleton_) fail("opening the XDP program", errno);

  // The capture's perf event array has a slot per possible CPU. libbpf would size it at load,
  // but only then: sized here, it compares with the predecessor's when the maps are shared.
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) fail("counting the possible CPUs", cpus);
  struct Sizing {
    bpf_map* map;
    std::uint32_t entries;
  } sizes[] = {
      {skeleton_->maps.ac_allow4, options.allow_max_entries},
      {skeleton_->maps.ac_allow6, options.allow_max_entries},
      {skeleton_->maps.ac_capture_ring, static_cast<std::uint32_t>(cpus)},
  };
  for (const auto& s : sizes)
    if (int err = bpf_map__set_max_entries(s.map, s.entries); err != 0)
      fail(std::string("sizing map ") + bpf_map__name(s.map), err);

  if (options.reuse_maps_of_prog_id) reused_maps_ = reuse_maps(options.reuse_maps_of_prog_id);

  if (options.chain_map_fd >= 0) {
    if (int err = bpf_map__reuse_fd(skeleton_->maps.ac_chain, options.chain_map_fd); err != 0)
      fail("sharing the chain's prog array", err);
    skeleton_->rodata->ac_chain_on = 1;
    skeleton_->rodata->ac_chain_next = options.chain_next;
  }

  // One of the two entry points: libbpf adds BPF_F_XDP_HAS_FRAGS at load for an `xdp.frags`
  // section whatever bpf_program__set_flags said, so the plain one is a section of its own.
  program_ = options.frags ? skeleton_->progs.anycast_xdp : skeleton_->progs.anycast_xdp_generic;
  for (bpf_program* p : {skeleton_->progs.anycast_xdp, skeleton_->progs.anycast_xdp_generic})
    if (int err = bpf_program__set_autoload(p, p == program_); err != 0)
      fail(std::string("choosing the XDP program ") + bpf_program__name(p), err);
  if (int err = anycast_xdp::load(skeleton_.get()); err != 0) {
    if (options.chain_map_fd >= 0 && err == -EINVAL)
      fail("loading the XDP program to tail-call through the chain's prog array (the verifier log, if any, is "
           "above; with none, the kernel refused a program unlike those the array already holds: they must be XDP "
           "programs from SEC(\"xdp.frags\") as anycastd's)", err);
    fail("loading the XDP program (the verifier log, if any, is above)", err);
  }
  vip_sets_.emplace(XdpVipMaps{bpf_map__fd(skeleton_->maps.ac_vip4_sets), bpf_map__fd(skeleton_->maps.ac_vip6_sets),
                               bpf_map__fd(skeleton_->maps.ac_vip4_hash), bpf_map__fd(skeleton_->maps.ac_vip6_hash)},
                    options.vip_max_entries);

  // Nobody reads a capture this image did not start: one a predecessor left on when it died
  // (kill -9 in the middle of a capture) would go on copying into rings without readers.
  if (switch_capture_off(bpf_map__fd(skeleton_->maps.ac_capture)))
    spdlog::warn("packet capture was left on by the previous instance: switched off");

  if (reused_maps_) {
    // The ports array has no "present" entries to iterate: learn which ones the predecessor set,
    // so write_tables can clear those the new configuration drops.
    int fd = bpf_map__fd(skeleton_->maps.ac_ports);
    for (std::uint32_t port = 0; port < AC_PORTS; ++port) {
      ac_port_value value{};
      if (bpf_map_lookup_elem(fd, &port, &value) == 0 && value.flags) ports_written_.insert(static_cast<std::uint16_t>(port));
    }
    // The shared switch is live, the predecessor answering through it: carry on from its state
    // (the VIP slot packets read).
    std::uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.ac_control), &zero, &control_) != 0)
      fail("reading the shared ac_control", errno);
    return;
  }
  // A freshly loaded program answers nothing until control says so.
  set_answering(false);
}

// Maps never taken from the predecessor. The DNS maps are made fresh on every start: the kernel
// checks a program against an array-of-maps' inner map layout, which an older build's outer maps
// may not have, and their type and sizes do not show it (control writes the DNS table before
// attaching anyway). The chain's prog array is the operator's or an empty placeholder, never the
// predecessor's, and the read-only globals are this start's settings (chain mode).
static bool fresh_on_every_start(const bpf_map* map) {
  return std::strncmp(bpf_map__name(map), "ac_dns", 6) == 0 || std::strcmp(bpf_map__name(map), "ac_chain") == 0 ||
         bpf_map__is_internal(map);
}

bool XdpProgram::reuse_maps(std::uint32_t prog_id) {
  posix_io::UniqueFd prog(bpf_prog_get_fd_by_id(prog_id));
  if (!prog) {
    spdlog::warn("cannot open the running XDP program (id {}) to share its maps: {}; starting with fresh maps "
                 "(counters restart from zero)", prog_id, errno_text(errno));
    return false;
  }
  std::vector<std::uint32_t> ids;
  if (!program_map_ids(prog.get(), ids)) {
    spdlog::warn("reading program {}'s maps: {}; starting with fresh maps", prog_id, errno_text(errno));
    return false;
  }

  std::vector<std::pair<bpf_map*, posix_io::UniqueFd>> matches;
  for (std::uint32_t id : ids) {
    posix_io::UniqueFd fd(bpf_map_get_fd_by_id(id));
    bpf_map_info m{};
    std::uint32_t msize = sizeof m;
    if (!fd || bpf_obj_get_info_by_fd(fd.get(), &m, &msize) != 0) continue;
    // The kernel keeps the first BPF_OBJ_NAME_LEN - 1 bytes of a map's name: match on those.
    bpf_map* ours = nullptr;
    bpf_map* candidate;
    bpf_object__for_each_map(candidate, skeleton_->obj) {
      if (std::strncmp(bpf_map__name(candidate), m.name, BPF_OBJ_NAME_LEN - 1) == 0) ours = candidate;
    }
    if (!ours || fresh_on_every_start(ours)) continue;
    if (bpf_map__type(ours) != m.type || bpf_map__key_size(ours) != m.key_size ||
        bpf_map__value_size(ours) != m.value_size || bpf_map__max_entries(ours) != m.max_entries ||
        bpf_map__map_flags(ours) != m.map_flags) {
      spdlog::warn("the running program's map {} differs from this build's (type, sizes or flags): starting "
                   "with fresh maps (counters restart from zero)", m.name);
      return false;
    }
    matches.emplace_back(ours, std::move(fd));
  }
  std::size_t ours_count = 0;
  bpf_map* map;
  bpf_object__for_each_map(map, skeleton_->obj) ours_count += fresh_on_every_start(map) ? 0 : 1;
  if (matches.size() != ours_count) {
    spdlog::warn("the running program (id {}) has {} of this build's {} maps: starting with fresh maps", prog_id,
                 matches.size(), ours_count);
    return false;
  }
  for (auto& [ours, fd] : matches)
    if (int err = bpf_map__reuse_fd(ours, fd.get()); err != 0)
      fail(std::string("sharing map ") + bpf_map__name(ours) + " of program " + std::to_string(prog_id), err);
  spdlog::info("sharing the running program's maps (prog id {}): tables and counters carry on", prog_id);
  return true;
}

XdpProgram::~XdpProgram() = default;

int XdpProgram::prog_fd() const {
  return bpf_program__fd(program_);
}

XdpCaptureMaps XdpProgram::capture_maps() const {
  return {bpf_map__fd(skeleton_->maps.ac_capture), bpf_map__fd(skeleton_->maps.ac_capture_ring),
          bpf_map__fd(skeleton_->maps.ac_capture_cnt)};
}

int XdpProgram::map_fd(const char* name) const {
  const bpf_map* map = bpf_object__find_map_by_name(skeleton_->obj, name);
  return map ? bpf_map__fd(map) : -1;
}

std::uint32_t XdpProgram::prog_id() const {
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd(), &info, &size) != 0) fail("reading the XDP program's id", errno);
  return info.id;
}

void XdpProgram::set_answering(bool on) {
  control_.answering = on ? 1 : 0;
  write_control(on ? "answering on" : "answering off");
}

// A packet reads ac_control whole, but each write changes one field, so a copy of the value
// that is not atomic as a whole still gives each field its old or its new value.
void XdpProgram::write_control(const char* what) {
  std::uint32_t zero = 0;
  update(bpf_map__fd(skeleton_->maps.ac_control), &zero, &control_, "ac_control", what);
}

void XdpProgram::write_ntp_state(const ac_ntp_state& state) {
  std::uint32_t zero = 0;
  update(bpf_map__fd(skeleton_->maps.ac_ntp), &zero, &state, "ac_ntp", "the NTP clock state");
}

void XdpProgram::write_dns_edns(const ac_dns_edns& edns) {
  std::uint32_t zero = 0;
  update(bpf_map__fd(skeleton_->maps.dns_edns), &zero, &edns, "dns_edns", "the NSID and cookie settings");
}

void XdpProgram::write_tables(const FastpathTables& tables) {
  // Stop first when the new state is "off", start last when it is "on": in between the maps
  // are a mix of old and new, and only a switched-off fast path is certainly harmless then.
  if (!tables.answering) set_answering(false);

  std::vector<std::pair<ac_allow4_key, std::uint8_t>> allow4;
  std::vector<std::pair<ac_allow6_key, std::uint8_t>> allow6;
  std::vector<std::string> allow4_names, allow6_names;
  for (const AllowEntry& a : tables.allow) {
    if (a.service >= AC_SVC__COUNT) throw std::runtime_error("allow entry for unknown service " + std::to_string(a.service));
    std::string name = std::string(ac_service_names[a.service]) + " allow " + a.source.str();
    if (a.source.family == 4) {
      allow4.emplace_back(allow4_key(a), 1);
      allow4_names.push_back(std::move(name));
    } else {
      allow6.emplace_back(allow6_key(a), 1);
      allow6_names.push_back(std::move(name));
    }
  }

  // Allow entries before the ports that become restricted by them, VIPs after the ports they
  // carry; each step only ever narrows or keeps what was answered a moment before.
  sync_trie(bpf_map__fd(skeleton_->maps.ac_allow4), "ac_allow4", allow4, allow4_names);
  sync_trie(bpf_map__fd(skeleton_->maps.ac_allow6), "ac_allow6", allow6, allow6_names);

  int ports_fd = bpf_map__fd(skeleton_->maps.ac_ports);
  for (const auto& [port, value] : tables.ports) {
    std::uint32_t key = port;
    update(ports_fd, &key, &value, "ac_ports", "port " + std::to_string(port));
  }

  int ratelimit_fd = bpf_map__fd(skeleton_->maps.ac_ratelimit_cfg);
  for (std::uint32_t service = 0; service < AC_SVC__COUNT; ++service)
    update(ratelimit_fd, &service, &tables.ratelimit[service], "ac_ratelimit_cfg",
           std::string(ac_service_names[service]) + " rate limit");

  // The counter entries VIPs take anew: no packet counts there (datapath/vip_series.h), so a
  // zero written now is what the new VIP starts from.
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) fail("counting possible CPUs", cpus);
  const std::vector<ac_vip_stats> zero_stats(static_cast<std::size_t>(cpus));
  for (std::uint32_t entry : tables.vip_stats_fresh)
    update(bpf_map__fd(skeleton_->maps.ac_vip_stats), &entry, zero_stats.data(), "ac_vip_stats",
           "the counters of entry " + std::to_string(entry));

  // The whole VIP set at once, both families: staged in the slot packets do not read, then
  // published by one write of the slot number.
  const std::uint32_t next = control_.vip_slot ^ 1u;
  vip_sets_->stage(tables.vips, next);
  control_.vip_slot = next;
  write_control("the new VIP set");
  vip_sets_->settle(next);

  const ac_port_value off{};
  for (std::uint16_t port : ports_written_) {
    if (tables.ports.count(port)) continue;
    std::uint32_t key = port;
    update(ports_fd, &key, &off, "ac_ports", "port " + std::to_string(port) + " (removed)");
  }
  ports_written_.clear();
  for (const auto& entry : tables.ports) ports_written_.insert(entry.first);

  if (tables.answering) set_answering(true);
}

XdpDnsTableMaps XdpProgram::write_dns_table(const std::vector<std::uint8_t>& image) {
  const XdpDnsMaps maps{bpf_map__fd(skeleton_->maps.ac_dns), bpf_map__fd(skeleton_->maps.ac_dns_entries),
                        bpf_map__fd(skeleton_->maps.ac_dns_arena), bpf_map__fd(skeleton_->maps.ac_dns_zones)};
  return write_dns_maps(maps, image);
}

ac_stats XdpProgram::read_stats() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) fail("counting possible CPUs", cpus);
  // A per-CPU value is padded to 8 bytes per CPU; ac_stats is all __u64, so it is already.
  static_assert(sizeof(ac_stats) % 8 == 0);
  std::vector<ac_stats> per_cpu(static_cast<std::size_t>(cpus));
  std::uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skeleton_->maps.ac_stats), &zero, per_cpu.data()) != 0)
    fail("reading ac_stats", errno);

  ac_stats sum{};
  for (const ac_stats& s : per_cpu) ac_stats_add(&sum, &s);
  return sum;
}

std::vector<XdpInterfaceStats> XdpProgram::read_interface_stats() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) fail("counting possible CPUs", cpus);
  static_assert(sizeof(ac_iface_stats) % 8 == 0);
  const std::size_t per_key = static_cast<std::size_t>(cpus);
  // The whole array in one call: every ifindex below AC_IFACE_MAX has its entry, most of them zero.
  std::vector<std::uint32_t> keys(AC_IFACE_MAX);
  std::vector<ac_iface_stats> values(AC_IFACE_MAX * per_key);
  std::uint32_t count = AC_IFACE_MAX, out_batch = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int err = bpf_map_lookup_batch(bpf_map__fd(skeleton_->maps.ac_iface_stats), nullptr, &out_batch, keys.data(),
                                 values.data(), &count, &opts);
  if (err != 0 && errno != ENOENT) fail("reading ac_iface_stats", errno);  // ENOENT: the last batch
  std::vector<XdpInterfaceStats> out;
  for (std::uint32_t k = 0; k < count; ++k) {
    XdpInterfaceStats s;
    s.ifindex = keys[k];
    for (std::size_t cpu = 0; cpu < per_key; ++cpu)
      for (int a = 0; a < AC_ACT__COUNT; ++a) s.stats.action[a] += values[k * per_key + cpu].action[a];
    if (std::any_of(std::begin(s.stats.action), std::end(s.stats.action), [](std::uint64_t n) { return n != 0; }))
      out.push_back(s);
  }
  return out;
}

std::vector<ac_vip_stats> XdpProgram::read_vip_stats() const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) fail("counting possible CPUs", cpus);
  static_assert(sizeof(ac_vip_stats) % 8 == 0);
  const std::size_t per_key = static_cast<std::size_t>(cpus);
  std::vector<std::uint32_t> keys(AC_VIP_STATS_ENTRIES);
  std::vector<ac_vip_stats> values(AC_VIP_STATS_ENTRIES * per_key);
  std::uint32_t count = AC_VIP_STATS_ENTRIES, out_batch = 0;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int err = bpf_map_lookup_batch(bpf_map__fd(skeleton_->maps.ac_vip_stats), nullptr, &out_batch, keys.data(),
                                 values.data(), &count, &opts);
  if (err != 0 && errno != ENOENT) fail("reading ac_vip_stats", errno);  // ENOENT: the last batch
  std::vector<ac_vip_stats> out(AC_VIP_STATS_ENTRIES);
  for (std::uint32_t k = 0; k < count; ++k) {
    if (keys[k] >= AC_VIP_STATS_ENTRIES) continue;
    for (std::size_t cpu = 0; cpu < per_key; ++cpu)
      for (int a = 0; a < AC_ACT__COUNT; ++a) out[keys[k]].action[a] += values[k * per_key + cpu].action[a];
  }
  return out;
}

std::vector<VipEntry> XdpProgram::held_vips() const {
  return vip_sets_->read(control_.vip_slot & 1u);
}

void XdpProgram::forget_interface(std::uint32_t ifindex) {
  if (ifindex >= AC_IFACE_MAX) return;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return;
  std::vector<ac_iface_stats> zero(static_cast<std::size_t>(cpus));
  if (bpf_map_update_elem(bpf_map__fd(skeleton_->maps.ac_iface_stats), &ifindex, zero.data(), BPF_ANY) != 0)
    spdlog::warn("dropping the counters of interface {}: {}", ifindex, errno_text(errno));
}

}  // namespace anycastd
