// SPDX-License-Identifier: Apache-2.0
//
// Per-packet cost of the XDP fast path next to the floor, through BPF_PROG_TEST_RUN with
// `repeat`. Needs root (loading BPF programs).
//
//   xdp_cost [--repeat N] [--runs R] [--case NAME]... [--json FILE]
//
// Programs: anycast_xdp (loaded through XdpProgram, tables from bench_frames.h written), the
// floor (bench/xdp_floor.c) and xdp_harness (an empty program: the cost of the harness itself).
// Each run drives every program once per frame with `repeat` packets; runs alternate the order
// of the programs, so drift of the machine spreads over all of them; the table quotes medians.
//
// The floor handles no VLAN tags, so it runs on the untagged frames only, and a tagged frame is
// compared with the untagged floor of its family: the tags are overhead of the real thing.
//
// With `repeat` the kernel does not restore the frame between repeats: each one sees what the
// previous one left, i.e. the reply. The frames are mirror pairs (see bench_frames.h), so the
// reply is again a request anycast_xdp answers in full. This is checked, not assumed: after
// every run the program's own counters must show exactly `repeat` echo answers and no pass,
// the last return value must be XDP_TX and the frame must be the reply (odd repeat) or the
// request (even). Any mismatch exits 1; that is what the CTest smoke run relies on. Durations
// are reported, never judged.
//
// ns/pkt is the kernel's own figure (the `duration` BPF_PROG_TEST_RUN returns, also what
// `bpftool prog run ... repeat N` prints): the time in the repeat loop divided by `repeat`,
// truncated to whole ns. Beside it, this thread's CPU time for the whole call / repeat, which has
// fractions and adds the call's fixed set-up (about 0.35 ms here, so ~0.4 ns per packet at
// repeat 1e6). Wall time is deliberately not used: every call sleeps twice (two voluntary context
// switches whatever the repeat count; with repeat > 1 the kernel also re-points its XDP
// dispatcher at the program and back), and those milliseconds asleep are no packet's cost.

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_frames.h"
#include "xdp_floor.skel.h"
#include "xdp_harness.skel.h"
#include "datapath/xdp/xdp_program.h"

namespace ab = anycastd::bench;

namespace {

struct Options {
  std::uint32_t repeat = 1000000;
  int runs = 9;
  std::set<std::string> cases;  // empty: all
  std::string json;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "xdp_cost: %s\nusage: xdp_cost [--repeat N] [--runs R] [--case NAME]... [--json FILE]\n",
               why);
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--repeat") {
      long n = std::strtol(value().c_str(), nullptr, 10);
      if (n < 1 || n > 100000000) usage("--repeat must be 1 .. 100000000");
      o.repeat = static_cast<std::uint32_t>(n);
    } else if (a == "--runs") {
      o.runs = std::atoi(value().c_str());
      if (o.runs < 1) usage("--runs must be at least 1");
    } else if (a == "--case") {
      o.cases.insert(value());
    } else if (a == "--json") {
      o.json = value();
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  return o;
}

struct ProgInfo {
  std::uint32_t xlated_insns = 0, jited_bytes = 0, verified_insns = 0;
};

ProgInfo prog_info(int fd) {
  bpf_prog_info info{};
  std::uint32_t size = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &size) != 0)
    throw std::runtime_error(std::string("reading program info: ") + std::strerror(errno));
  return {info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns};
}

struct RunResult {
  std::uint32_t retval = 0;
  double kernel_ns = 0;  // the kernel's own figure: whole ns per repeat (it divides, truncating)
  double cpu_ns = 0;     // this thread's CPU time for the call / repeat
  std::vector<std::uint8_t> out;
};

RunResult test_run(int fd, const std::vector<std::uint8_t>& frame, std::uint32_t repeat) {
  RunResult r;
  r.out.resize(frame.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_out = r.out.data(), .data_size_in = static_cast<std::uint32_t>(frame.size()),
              .data_size_out = static_cast<std::uint32_t>(r.out.size()), .repeat = static_cast<int>(repeat));
  timespec cpu_start{}, cpu_stop{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
  int err = bpf_prog_test_run_opts(fd, &opts);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_stop);
  if (err != 0) throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + std::strerror(errno));
  r.retval = opts.retval;
  r.kernel_ns = opts.duration;
  r.cpu_ns = ((cpu_stop.tv_sec - cpu_start.tv_sec) * 1e9 + (cpu_stop.tv_nsec - cpu_start.tv_nsec)) / repeat;
  r.out.resize(opts.data_size_out);
  return r;
}

struct Program {
  std::string name;
  int fd;
  anycastd::XdpProgram* anycast;  // set for anycast_xdp: its counters prove every repeat answered
  ProgInfo info;
};

struct Series {
  std::vector<double> kernel, cpu;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs one program on one frame and checks what it did; returns the timing or exits.
RunResult run_checked(const Program& p, const ab::BenchCase& c, std::uint32_t repeat) {
  const auto request = ab::build_frame(c.spec);
  const auto reply = ab::build_frame(ab::mirror(c.spec));
  const bool is_harness = p.name == "xdp_harness";

  ac_stats before{};
  if (p.anycast) before = p.anycast->read_stats();
  RunResult r = test_run(p.fd, request, repeat);

  std::string problem;
  // The harness returns the frame untouched; the others swap once per repeat.
  const auto& want = is_harness || repeat % 2 == 0 ? request : reply;
  if (r.retval != XDP_TX)
    problem = "returned " + std::to_string(r.retval) + ", not XDP_TX";
  else if (r.out != want)
    problem = "the frame after the last repeat is not the expected " +
              std::string(&want == &reply ? "reply" : "request");
  if (p.anycast && problem.empty()) {
    ac_stats after = p.anycast->read_stats();
    std::uint64_t answered = after.answered[AC_SVC_ECHO] - before.answered[AC_SVC_ECHO];
    std::uint64_t passed = after.action[AC_ACT_PASS] - before.action[AC_ACT_PASS];
    if (answered != repeat || passed != 0)
      problem = "counted " + std::to_string(answered) + " echo answers and " + std::to_string(passed) +
                " passes for " + std::to_string(repeat) + " repeats";
  }
  if (!problem.empty()) {
    std::fprintf(stderr, "xdp_cost: %s on %s: %s\n", p.name.c_str(), c.name, problem.c_str());
    std::exit(1);
  }
  return r;
}

// Run by run: the two programs of one run ran moments apart, so a comparison within a run is
// spared the machine's slower drift, which medians of each side alone are not.
template <typename F>
std::vector<double> paired(const std::vector<double>& a, const std::vector<double>& b, F f) {
  std::vector<double> out;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) out.push_back(f(a[i], b[i]));
  return out;
}

std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::string json_array(const std::vector<double>& v) {
  std::ostringstream o;
  o << '[';
  for (std::size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
  o << ']';
  return o.str();
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse_args(argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "xdp_cost: needs root to load BPF programs\n");
    return 1;
  }

  // The untagged frame of each family is always run too: it is where the floor is measured.
  std::set<std::string> wanted = opt.cases;
  for (const ab::BenchCase& c : ab::bench_cases())
    if (opt.cases.count(c.name)) wanted.insert(c.spec.family == 4 ? "v4" : "v6");
  std::vector<ab::BenchCase> cases;
  for (const ab::BenchCase& c : ab::bench_cases())
    if (opt.cases.empty() || wanted.count(c.name)) cases.push_back(c);
  if (cases.empty()) usage("no such --case");

  // anycast_xdp twice: open tables, and echo restricted to an allow list (the example config's
  // shape), each with its own maps so nothing is rewritten between runs.
  anycastd::XdpProgram open_prog, allow_prog;
  open_prog.write_tables(ab::bench_tables(false));
  allow_prog.write_tables(ab::bench_tables(true));

  std::unique_ptr<xdp_floor, void (*)(xdp_floor*)> floor_skel(xdp_floor::open_and_load(),
                                                               xdp_floor::destroy);
  std::unique_ptr<xdp_harness, void (*)(xdp_harness*)> harness_skel(xdp_harness::open_and_load(),
                                                                     xdp_harness::destroy);
  if (!floor_skel || !harness_skel)
    throw std::runtime_error(std::string("loading the floor or harness program: ") + std::strerror(errno));

  const Program floor_p{"xdp_floor", bpf_program__fd(floor_skel->progs.xdp_floor), nullptr, {}};
  const Program harness_p{"xdp_harness", bpf_program__fd(harness_skel->progs.xdp_harness), nullptr, {}};
  const Program open_p{"anycast_xdp", open_prog.prog_fd(), &open_prog, {}};
  const Program allow_p{"anycast_xdp", allow_prog.prog_fd(), &allow_prog, {}};
  std::map<std::string, ProgInfo> infos = {{"xdp_floor", prog_info(floor_p.fd)},
                                           {"xdp_harness", prog_info(harness_p.fd)},
                                           {"anycast_xdp", prog_info(open_p.fd)}};

  // Which programs run on which frame: the floor and harness only where the floor can parse.
  struct Slot {
    const ab::BenchCase* c;
    std::vector<const Program*> programs;
  };
  std::vector<Slot> slots;
  for (const ab::BenchCase& c : cases) {
    Slot s{&c, {c.restricted ? &allow_p : &open_p}};
    if (c.spec.tags.empty() && !c.restricted) {
      s.programs.push_back(&floor_p);
      s.programs.push_back(&harness_p);
    }
    slots.push_back(s);
  }

  // A single packet first: the exact reply, before anything is timed.
  for (const Slot& s : slots)
    for (const Program* p : s.programs) run_checked(*p, *s.c, 1);

  std::map<std::pair<std::string, std::string>, Series> series;  // (program, frame)
  for (int run = 0; run < opt.runs; ++run) {
    for (const Slot& s : slots) {
      std::vector<const Program*> order = s.programs;
      if (run % 2) std::reverse(order.begin(), order.end());
      for (const Program* p : order) {
        RunResult r = run_checked(*p, *s.c, opt.repeat);
        Series& se = series[{p->name, s.c->name}];
        se.cpu.push_back(r.cpu_ns);
        se.kernel.push_back(r.kernel_ns);
      }
    }
  }

  // The floor (and harness) a frame is compared with: its own, or its family's untagged one.
  auto reference = [&](const ab::BenchCase& c, const std::string& program) -> const Series* {
    std::string frame = c.spec.family == 4 ? "v4" : "v6";
    auto it = series.find({program, frame});
    return it == series.end() ? nullptr : &it->second;
  };

  utsname uts{};
  uname(&uts);
  const std::string cpu_model = read_cpu_model();
  std::printf("BPF_PROG_TEST_RUN, repeat %u, %d runs interleaved, medians; kernel %s; %s\n", opt.repeat,
              opt.runs, uts.release, cpu_model.c_str());
  for (const auto& [name, info] : infos)
    std::printf("  %-12s %5u insns after verifier rewrites, %5u bytes JITed, %6u insns verified\n",
                name.c_str(), info.xlated_insns, info.jited_bytes, info.verified_insns);
  std::printf("\n%-12s %-9s %7s %5s %5s %7s %6s %9s %9s\n", "program", "frame", "ns/pkt", "min", "max", "cpu-ns",
              "ratio", "overhead", "own work");

  std::ostringstream rows;
  bool first_row = true;
  for (const Slot& s : slots) {
    const Series* floor_s = reference(*s.c, "xdp_floor");
    const Series* harness_s = reference(*s.c, "xdp_harness");
    for (const Program* p : s.programs) {
      const Series& se = series[{p->name, s.c->name}];
      const double ns = median(se.kernel), cpu = median(se.cpu);
      const auto [lo, hi] = std::minmax_element(se.kernel.begin(), se.kernel.end());
      std::optional<double> ratio, overhead, own;
      if (floor_s && p->name != "xdp_harness") {
        ratio = median(paired(se.kernel, floor_s->kernel, [](double a, double b) { return a / b; }));
        overhead = median(paired(se.kernel, floor_s->kernel, [](double a, double b) { return a - b; }));
      }
      if (harness_s) own = median(paired(se.kernel, harness_s->kernel, [](double a, double b) { return a - b; }));

      char ratio_s[16] = "", over_s[16] = "", own_s[16] = "";
      if (ratio) std::snprintf(ratio_s, sizeof ratio_s, "%.2fx", *ratio);
      if (overhead) std::snprintf(over_s, sizeof over_s, "%+.1f", *overhead);
      if (own) std::snprintf(own_s, sizeof own_s, "%.1f", *own);
      std::printf("%-12s %-9s %7.1f %5.0f %5.0f %7.1f %6s %9s %9s\n", p->name.c_str(), s.c->name, ns, *lo, *hi, cpu,
                  ratio_s, over_s, own_s);

      rows << (first_row ? "" : ",\n") << "    {\"program\": \"" << p->name << "\", \"frame\": \"" << s.c->name
           << "\", \"floor_frame\": \"" << (s.c->spec.family == 4 ? "v4" : "v6") << "\", \"ns_per_packet\": " << ns
           << ", \"cpu_ns_per_packet\": " << cpu;
      if (ratio) rows << ", \"ratio_to_floor\": " << *ratio << ", \"overhead_ns\": " << *overhead;
      if (own) rows << ", \"above_harness_ns\": " << *own;
      rows << ", \"kernel_ns\": " << json_array(se.kernel) << ", \"cpu_ns\": " << json_array(se.cpu) << "}";
      first_row = false;
    }
  }
  std::printf("\nns/pkt: the kernel's figure (median, whole ns); cpu-ns: thread CPU time / repeat (median).\n"
              "ratio, overhead: against xdp_floor on the untagged frame of the same family, taken run by run\n"
              "  (same run, moments apart) and the median of those; own work: likewise, minus xdp_harness\n"
              "  (an empty program), i.e. the cost of the program itself without the test harness.\n"
              "Every anycast_xdp run answered all %u repeats (checked in its counters).\n",
              opt.repeat);

  if (!opt.json.empty()) {
    std::ofstream out(opt.json);
    out << "{\n  \"tool\": \"xdp_cost\",\n  \"kernel\": \"" << json_escape(uts.release) << "\",\n  \"cpu\": \""
        << json_escape(cpu_model) << "\",\n  \"repeat\": " << opt.repeat << ",\n  \"runs\": " << opt.runs
        << ",\n  \"statistic\": \"median\",\n  \"programs\": {";
    bool first = true;
    for (const auto& [name, info] : infos) {
      out << (first ? "\n" : ",\n") << "    \"" << name << "\": {\"xlated_insns\": " << info.xlated_insns
          << ", \"jited_bytes\": " << info.jited_bytes << ", \"verified_insns\": " << info.verified_insns << "}";
      first = false;
    }
    out << "\n  },\n  \"results\": [\n" << rows.str() << "\n  ]\n}\n";
    if (!out) throw std::runtime_error("writing " + opt.json);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "xdp_cost: %s\n", e.what());
  return 1;
}
