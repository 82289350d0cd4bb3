// SPDX-License-Identifier: Apache-2.0
//
// How the XDP fast path's per-packet cost grows with the work: the number of VIPs (1 .. 65,536,
// every packet to a different one), 4,096 prefix VIPs of six lengths, the frame size (64 .. 1500
// bytes), VLAN tags (0, 1, 2) and the family. Needs root (loading BPF programs).
//
//   xdp_growth [--repeat N] [--runs R] [--quick] [--json FILE]
//
// A fixed frame under BPF_PROG_TEST_RUN keeps one table entry hot, which says nothing about a
// large VIP set. So every packet is first rewritten by the load generator's program (lg_gen.c:
// the next destination of the VIP set, source and ports, both checksums) and then handed by tail
// call to the program measured: anycast_xdp (loaded through XdpProgram, as anycastd loads it,
// with the VIPs as exact /32 or /128 entries, or as prefixes), the floor (bench/xdp_floor.c) or the empty
// harness (xdp_harness.c, which leaves the cost of the rewrite and the test loop alone). The
// rewrite writes every field whole, so each repeat is a fresh request whatever the previous
// repeat's reply left behind.
//
// IPv4 VIPs are taken from 198.18.0.0/15, the range RFC 2544 sets aside for benchmarks (the
// documentation ranges hold too few addresses); no packet leaves the kernel's test harness.
// Prefix VIPs: the i-th is 198.18.0.0 + 32 i or 2001:db8:1:i::, of a length that cycles through
// six (/27 to /32, /64 to /128), and packets go to its first address, which no longer prefix
// covers: a lookup tries the longer lengths first and misses them.
// Checked, not assumed: every anycast_xdp run must count exactly `repeat` echo answers and no
// pass, and every floor run must return XDP_TX on untagged frames. Durations are reported,
// never judged.

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "loadgen_bpf.h"
#include "templates.h"
#include "xdp_floor.skel.h"
#include "xdp_harness.skel.h"
#include "datapath/xdp/xdp_program.h"

namespace lg = anycastd::loadgen;

namespace {

struct Options {
  std::uint32_t repeat = 200000;
  int runs = 5;
  bool quick = false;
  std::string json;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "xdp_growth: %s\nusage: xdp_growth [--repeat N] [--runs R] [--quick] [--json FILE]\n",
               why.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--repeat") {
      long n = std::strtol(value().c_str(), nullptr, 10);
      if (n < 1 || n > 100000000) usage("--repeat must be 1 .. 100000000");
      o.repeat = static_cast<std::uint32_t>(n);
    } else if (a == "--runs") {
      o.runs = std::atoi(value().c_str());
      if (o.runs < 1) usage("--runs must be at least 1");
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--json") {
      o.json = value();
    } else if (a == "--help" || a == "-h") {
      std::printf("usage: xdp_growth [--repeat N] [--runs R] [--quick: fewer points] [--json FILE]\n");
      std::exit(0);
    } else {
      usage("unknown argument " + a);
    }
  }
  return o;
}

struct Point {
  std::string dimension;  // "vips", "prefixes", "size", "vlan": which one this row varies
  int family;
  std::uint32_t vips;
  std::size_t size;
  std::size_t tags;
};

std::vector<std::string> vip_set(int family, std::uint32_t n) {
  return lg::expand_vips(family, family == 4 ? "198.18.0.0" : "2001:db8:1::", n);
}

// The prefix VIPs of a "prefixes" row, as "address/length".
std::vector<std::string> prefix_set(int family, std::uint32_t n) {
  std::vector<std::string> out;
  char text[64];
  for (std::uint32_t i = 0; i < n; ++i) {
    if (family == 4) {
      const std::uint32_t a = 0xC6120000u + 32 * i;  // 198.18.0.0 + 32 i
      std::snprintf(text, sizeof text, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, 27 + i % 6);
    } else {
      const unsigned lengths[] = {64, 72, 80, 96, 112, 128};
      std::snprintf(text, sizeof text, "2001:db8:1:%x::/%u", i, lengths[i % 6]);
    }
    out.emplace_back(text);
  }
  return out;
}

std::vector<std::string> destinations(const Point& p) {
  if (p.dimension != "prefixes") return vip_set(p.family, p.vips);
  std::vector<std::string> out;
  for (const std::string& prefix : prefix_set(p.family, p.vips)) out.push_back(prefix.substr(0, prefix.find('/')));
  return out;
}

lg::Template make_template(const Point& p) {
  lg::FrameSpec s;
  s.family = p.family;
  for (std::size_t k = 0; k < p.tags; ++k)
    s.tags.push_back({static_cast<std::uint16_t>(p.tags == 2 && k == 0 ? 0x88A8 : 0x8100), 100});
  s.src = p.family == 4 ? "203.0.113.1" : "2001:db8:c::1";
  s.src_count = 200;
  s.sport = 10000;
  s.sport_count = 1000;
  s.vips = destinations(p);
  s.dport = 7;
  s.frame_len = p.size;
  return lg::build_template(s, lg::echo_payload(p.size - lg::header_len(p.family, p.tags)));
}

anycastd::FastpathTables tables_for(const Point& p) {
  anycastd::FastpathTables t;
  for (const std::string& v : p.dimension == "prefixes" ? prefix_set(p.family, p.vips) : vip_set(p.family, p.vips))
    t.vips.push_back({anycastd::parse_prefix(v), {AC_VIP_F_ANSWERING, 1u << AC_SVC_ECHO, 0}});
  t.ports[7] = {AC_SVC_F_ENABLED, AC_SVC_ECHO};
  t.answering = true;
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One BPF_PROG_TEST_RUN; returns the kernel's ns per repeat and the last verdict.
std::pair<double, std::uint32_t> run(int fd, const std::vector<std::uint8_t>& frame, std::uint32_t repeat) {
  std::vector<std::uint8_t> out(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<std::uint32_t>(frame.size()),
              .data_size_out = static_cast<std::uint32_t>(out.size()), .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(fd, &opts) != 0)
    throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + std::strerror(errno));
  return {static_cast<double>(opts.duration), opts.retval};
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse_args(argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "xdp_growth: needs root to load BPF programs\n");
    return 1;
  }
  libbpf_set_print([](libbpf_print_level level, const char* fmt, va_list ap) {
    return level == LIBBPF_WARN ? std::vfprintf(stderr, fmt, ap) : 0;
  });

  std::vector<Point> points;
  const std::vector<std::uint32_t> vip_counts =
      opt.quick ? std::vector<std::uint32_t>{1, 16, 65536} : std::vector<std::uint32_t>{1, 16, 256, 4096, 65536};
  const std::vector<std::size_t> sizes =
      opt.quick ? std::vector<std::size_t>{512} : std::vector<std::size_t>{128, 512, 1024, 1500};
  for (int family : {4, 6}) {
    for (std::uint32_t n : vip_counts) points.push_back({"vips", family, n, 64, 0});
    points.push_back({"prefixes", family, 4096, 64, 0});
    for (std::size_t size : sizes) points.push_back({"size", family, 16, size, 0});
    // Tags on a 64-byte frame, or on the smallest with a 2-byte payload where 64 bytes hold no room.
    for (std::size_t tags : {1u, 2u})
      points.push_back({"vlan", family, 16, std::max<std::size_t>(64, lg::header_len(family, tags) + 2), tags});
  }

  // The three generators (one per program measured: a tail-call slot holds one program).
  lg::Generator to_anycast, to_floor, to_harness;
  std::unique_ptr<xdp_floor, void (*)(xdp_floor*)> floor_skel(xdp_floor::open_and_load(), xdp_floor::destroy);
  std::unique_ptr<xdp_harness, void (*)(xdp_harness*)> harness_skel(xdp_harness::open_and_load(),
                                                                     xdp_harness::destroy);
  if (!floor_skel || !harness_skel)
    throw std::runtime_error(std::string("loading the floor or harness program: ") + std::strerror(errno));

  struct Row {
    Point p;
    double anycast, floor, harness;
    bool floor_valid;  // the floor does not parse VLAN tags: its figure there is not a reflection
  };
  std::vector<Row> rows;
  // One anycast_xdp per VIP set (family, count, exact or prefixes), kept while its points run.
  std::map<std::tuple<int, std::uint32_t, bool>, std::unique_ptr<anycastd::XdpProgram>> programs;
  for (const Point& p : points) {
    auto& prog = programs[{p.family, p.vips, p.dimension == "prefixes"}];
    if (!prog) {
      prog = std::make_unique<anycastd::XdpProgram>();
      prog->write_tables(tables_for(p));
    }
    const lg::Template t = make_template(p);
    to_anycast.configure(t);
    to_anycast.set_tail_call(prog->prog_fd());
    to_floor.configure(t);
    to_floor.set_tail_call(bpf_program__fd(floor_skel->progs.xdp_floor));
    to_harness.configure(t);
    to_harness.set_tail_call(bpf_program__fd(harness_skel->progs.xdp_harness));

    std::vector<double> a, f, h;
    for (int r = 0; r < opt.runs; ++r) {
      // Alternate the order so the machine's drift spreads over all three.
      std::vector<int> order = {0, 1, 2};
      if (r % 2) std::reverse(order.begin(), order.end());
      for (int which : order) {
        if (which == 0) {
          const ac_stats before = prog->read_stats();
          auto [ns, verdict] = run(to_anycast.prog_fd(), t.frame, opt.repeat);
          const ac_stats after = prog->read_stats();
          const auto answered = after.answered[AC_SVC_ECHO] - before.answered[AC_SVC_ECHO];
          const auto passed = after.action[AC_ACT_PASS] - before.action[AC_ACT_PASS];
          if (verdict != XDP_TX || answered != opt.repeat || passed != 0)
            throw std::runtime_error("anycast_xdp on IPv" + std::to_string(p.family) + ", " +
                                     std::to_string(p.vips) + " VIPs, " + std::to_string(p.size) + " B, " +
                                     std::to_string(p.tags) + " tags: verdict " + std::to_string(verdict) +
                                     ", " + std::to_string(answered) + " answers and " + std::to_string(passed) +
                                     " passes for " + std::to_string(opt.repeat) + " repeats");
          a.push_back(ns);
        } else if (which == 1) {
          auto [ns, verdict] = run(to_floor.prog_fd(), t.frame, opt.repeat);
          if (p.tags == 0 && verdict != XDP_TX)
            throw std::runtime_error("the floor returned " + std::to_string(verdict) + ", not XDP_TX");
          f.push_back(ns);
        } else {
          h.push_back(run(to_harness.prog_fd(), t.frame, opt.repeat).first);
        }
      }
    }
    rows.push_back({p, median(a), median(f), median(h), p.tags == 0});
  }

  // Growth: the VIP and prefix rows against 1 VIP; the size and tag rows against the plain
  // 64-byte frame with the same 16 VIPs; each within its family.
  auto base_of = [&](const Row& r) -> const Row& {
    const std::uint32_t vips = r.p.dimension == "vips" || r.p.dimension == "prefixes" ? 1 : 16;
    for (const Row& b : rows)
      if (b.p.family == r.p.family && b.p.dimension == "vips" && b.p.vips == vips) return b;
    return r;
  };
  auto untagged = [&](const Row& r) -> const Row* {
    for (const Row& b : rows)
      if (b.p.family == r.p.family && b.p.dimension == "vips" && b.p.vips == r.p.vips)
        return &b;
    return nullptr;
  };

  utsname uts{};
  uname(&uts);
  std::printf("xdp_growth: BPF_PROG_TEST_RUN, repeat %u, %d runs interleaved, medians (ns per packet); kernel %s\n",
              opt.repeat, opt.runs, uts.release);
  std::printf("Every packet: lg_gen rewrites it for the next VIP, then tail-calls the program measured.\n\n");
  std::printf("| varied | family | VIPs | frame B | VLAN tags | anycast_xdp | floor | rewrite+harness | "
              "anycast_xdp / floor | anycast_xdp − harness | growth (total) | growth (minus harness) |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::ostringstream js;
  bool first = true;
  for (const Row& r : rows) {
    const Row& b = base_of(r);
    const Row* ref = r.floor_valid ? &r : untagged(r);
    const double ratio = ref ? r.anycast / ref->floor : 0;
    const double own = r.anycast - r.harness, base_own = b.anycast - b.harness;
    std::printf("| %s | IPv%d | %u | %zu | %zu | %.0f | %s | %.0f | %.2fx%s | %.0f | %.2fx | %.2fx |\n",
                r.p.dimension.c_str(), r.p.family, r.p.vips, r.p.size, r.p.tags, r.anycast,
                r.floor_valid ? std::to_string(static_cast<long>(r.floor)).c_str() : "(no VLAN)", r.harness, ratio,
                r.floor_valid ? "" : " ¹", own, r.anycast / b.anycast, base_own > 0 ? own / base_own : 0);
    js << (first ? "" : ",\n") << "  {\"varied\": \"" << r.p.dimension << "\", \"family\": " << r.p.family
       << ", \"vips\": " << r.p.vips << ", \"frame_len\": " << r.p.size << ", \"vlan_tags\": " << r.p.tags
       << ", \"anycast_ns\": " << r.anycast << ", \"floor_ns\": " << r.floor << ", \"harness_ns\": " << r.harness
       << ", \"ratio_to_floor\": " << ratio << ", \"growth\": " << r.anycast / b.anycast << "}";
    first = false;
  }
  std::printf("\n¹ the floor parses no VLAN tags: the ratio is against the untagged floor of the same family.\n"
              "growth: VIP and prefix rows against 1 VIP; size and tag rows against 64 B, no tag, 16 VIPs; same family.\n");
  if (!opt.json.empty()) {
    std::ofstream out(opt.json);
    out << "{\"tool\": \"xdp_growth\", \"kernel\": \"" << uts.release << "\", \"repeat\": " << opt.repeat
        << ", \"runs\": " << opt.runs << ", \"rows\": [\n"
        << js.str() << "\n]}\n";
    if (!out) throw std::runtime_error("writing " + opt.json);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "xdp_growth: %s\n", e.what());
  return 1;
}
