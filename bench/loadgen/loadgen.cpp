// SPDX-License-Identifier: Apache-2.0
//
// loadgen: sends request frames out of an interface and counts the verified answers coming back
// on the same interface (lg_recv.c). Two sending engines write the same frames (lg_frame.h):
// live frames (BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on lg_gen.c, in the kernel) and
// AF_XDP (xsk_sender.h, a send-only XSK socket per queue). Run it where the interface lives
// (`ip netns exec NS loadgen ...`). Bounded: it stops after --count frames or --duration
// seconds, whichever comes first.

#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loadgen_bpf.h"
#include "templates.h"
#include "xsk_sender.h"

namespace lg = anycastd::loadgen;
using Clock = std::chrono::steady_clock;

namespace {

const char* kUsage = R"(usage: loadgen --dev IF --dst-mac MAC [options]

Sends UDP requests out of IF and counts the verified answers that come back on it.
Frames (one template, fields varied per frame so RSS spreads them and every VIP is hit):
  --service NAME     request template: echo (default), ntp (a 48-byte mode 3 request; the
                     receiver counts only server replies with the time to it) or dns
                     (www.example.net. A with EDNS; the receiver checks each answer's DNS
                     header: ID, QR, NOERROR, not truncated, one question, answer records)
  --port N           destination port (default: the service's, echo 7, ntp 123, dns 53)
  --family 4|6       (default 4)
  --src ADDR         first source address (default 203.0.113.1 / 2001:db8:c::1); its last
                     16 bits advance per frame over --src-count addresses (default 200)
  --sport N          first source port (default 10000), over --sport-count ports (default 1000)
  --vip ADDR         first destination (default 192.0.2.1 / 2001:db8::1), over
                     --vip-count consecutive addresses (default 1, at most 65536)
  --size BYTES       frame length without FCS (default 64, ntp: the headers + 48, its only
                     size); at least the headers (42 bytes
                     IPv4, 62 IPv6, +4 per tag) and the request (dns: 44 bytes, or 48 and
                     more, padded with EDNS padding); the receiver verifies answers up to a
                     1500-byte MTU (UDP 2048 bytes) and counts longer ones as bad
  --vlan VID         add a VLAN tag (repeat for two: the outer one is 802.1ad, the inner 802.1Q)
  --src-mac MAC      (default: IF's own)   --dst-mac MAC   the next hop's (required)
Sending:
  --engine E         auto (default): live frames where the kernel allows them, else xsk;
                     live: BPF_PROG_TEST_RUN with live frames (in-kernel, the faster; fails
                     where the kernel refuses it, never falls back);
                     xsk: AF_XDP, a send-only socket per queue (zero-copy where the driver
                     has it, else copy mode); the output and the JSON name the engine used
  --threads N        sending threads, pinned to CPUs 0.. in turn (default 1); thread k sends
                     on queue k (xsk: at most one thread per TX queue of IF)
  --batch N          frames per kernel batch, 1..256 (default 64)
  --count N          frames in all (default 100000000)
  --duration S       at most S seconds, 0.01..600 (default 1)
  --rate PPS         paced: this many frames per second in all (default: as fast as possible)
Receiving and reporting:
  --no-recv          send only; otherwise the receiver takes the place of IF's XDP program
                     for the run, and the program that was there is put back at the end
  --recv-only        send nothing: count the answers to another generator's requests (the
                     same template options describe them) for --duration seconds, or until
                     SIGINT or SIGTERM, then report as usual
  --settle MS        wait for answers in flight after the last frame (default 200)
  --accept-no-checksum  count IPv4 answers without a UDP checksum (zero) as good when the rest
                     is (Knot's XDP mode sends them); by default they are bad
  --cpu-pid PID[,PID...]  also report these processes' CPU time (the system under test: a
                     server, or the kernel threads of a threaded NAPI)
  --json FILE        write the result as JSON
  --help
Exit status: 0 done; 1 an error (named); 2 a usage error; 3 the TX ring stopped completing
(xsk: the frames the kernel never took are counted as stuck, the figures are partial).
)";

volatile sig_atomic_t g_stop = 0;  // --recv-only: SIGINT or SIGTERM ends the window early
void on_stop(int) { g_stop = 1; }

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr, "loadgen: %s\n(loadgen --help for the options)\n", why.c_str());
  std::exit(2);
}

struct Options {
  std::string dev, service = "echo", src, vip, src_mac, dst_mac, json, engine = "auto";
  int port = -1, family = 4, threads = 1;
  std::uint32_t src_count = 200, sport_count = 1000, vip_count = 1, batch = 64;
  std::uint16_t sport = 10000;
  std::size_t size = 0;  // 0: the service's default
  std::vector<std::uint16_t> vlans;
  std::uint64_t count = 100000000;
  double duration = 1, rate = 0;
  bool recv = true;
  bool send = true;
  bool accept_no_checksum = false;  // IPv4 answers without a UDP checksum are good (Knot XDP)
  int settle_ms = 200;
  std::vector<long> cpu_pids;
};

long long number(const std::string& opt, const std::string& text, long long lo, long long hi) {
  char* endp = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &endp, 10);
  if (errno || endp == text.c_str() || *endp || v < lo || v > hi)
    usage_error(opt + " wants a whole number in " + std::to_string(lo) + " .. " + std::to_string(hi) + ", not '" +
                text + "'");
  return v;
}

double real(const std::string& opt, const std::string& text, double lo, double hi) {
  char* endp = nullptr;
  double v = std::strtod(text.c_str(), &endp);
  if (endp == text.c_str() || *endp || !(v >= lo && v <= hi))
    usage_error(opt + " wants a number in " + std::to_string(lo) + " .. " + std::to_string(hi) + ", not '" + text +
                "'");
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error("missing value for " + a);
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--dev") o.dev = value();
    else if (a == "--service") o.service = value();
    else if (a == "--port") o.port = static_cast<int>(number(a, value(), 1, 65535));
    else if (a == "--family") o.family = static_cast<int>(number(a, value(), 4, 6));
    else if (a == "--src") o.src = value();
    else if (a == "--src-count") o.src_count = static_cast<std::uint32_t>(number(a, value(), 1, 65536));
    else if (a == "--sport") o.sport = static_cast<std::uint16_t>(number(a, value(), 1, 65535));
    else if (a == "--sport-count") o.sport_count = static_cast<std::uint32_t>(number(a, value(), 1, 65535));
    else if (a == "--vip") o.vip = value();
    else if (a == "--vip-count") o.vip_count = static_cast<std::uint32_t>(number(a, value(), 1, LG_MAX_VIPS));
    else if (a == "--size") o.size = static_cast<std::size_t>(number(a, value(), 1, 9000));
    else if (a == "--vlan") o.vlans.push_back(static_cast<std::uint16_t>(number(a, value(), 0, 4095)));
    else if (a == "--src-mac") o.src_mac = value();
    else if (a == "--dst-mac") o.dst_mac = value();
    else if (a == "--threads") o.threads = static_cast<int>(number(a, value(), 1, 64));
    else if (a == "--batch") o.batch = static_cast<std::uint32_t>(number(a, value(), 1, 256));
    else if (a == "--count") o.count = static_cast<std::uint64_t>(number(a, value(), 1, 1000000000000LL));
    else if (a == "--duration") o.duration = real(a, value(), 0.01, 600);
    else if (a == "--rate") o.rate = real(a, value(), 1, 1e9);
    else if (a == "--no-recv") o.recv = false;
    else if (a == "--recv-only") o.send = false;
    else if (a == "--engine") o.engine = value();
    else if (a == "--accept-no-checksum") o.accept_no_checksum = true;
    else if (a == "--settle") o.settle_ms = static_cast<int>(number(a, value(), 0, 10000));
    else if (a == "--cpu-pid") {
      std::istringstream list(value());
      for (std::string pid; std::getline(list, pid, ',');) o.cpu_pids.push_back(static_cast<long>(number(a, pid, 1, 1 << 30)));
    }
    else if (a == "--json") o.json = value();
    else usage_error("unknown argument '" + a + "'");
  }
  if (o.dev.empty()) usage_error("--dev IF is required");
  if (o.dst_mac.empty()) usage_error("--dst-mac is required (the generator does not resolve neighbours)");
  if (o.family != 4 && o.family != 6) usage_error("--family is 4 or 6");
  if (o.vlans.size() > 2) usage_error("at most two --vlan tags");
  if (o.engine != "auto" && o.engine != "live" && o.engine != "xsk")
    usage_error("--engine is auto, live or xsk, not '" + o.engine + "'");
  if (!o.send && !o.recv) usage_error("--recv-only and --no-recv together would do nothing");
  if (o.src.empty()) o.src = o.family == 4 ? "203.0.113.1" : "2001:db8:c::1";
  if (o.vip.empty()) o.vip = o.family == 4 ? "192.0.2.1" : "2001:db8::1";
  return o;
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) throw std::runtime_error("cannot read " + path);
  return line;
}

// CPU time in seconds: the whole machine's busy time and its softirq part (/proc/stat), and
// some processes' user+system time (/proc/PID/stat), summed.
struct CpuSample {
  double busy = 0, softirq = 0, pid = 0;
};

CpuSample sample_cpu(const std::vector<long>& pids) {
  CpuSample s;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::istringstream stat(read_line("/proc/stat"));
  std::string cpu;
  unsigned long long v[8] = {};
  stat >> cpu;
  for (auto& x : v) stat >> x;  // user nice system idle iowait irq softirq steal
  s.busy = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / tick;
  s.softirq = static_cast<double>(v[6]) / tick;
  for (long pid : pids) {
    std::string line = read_line("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int f = 3; f <= 15 && rest >> field; ++f) {
      if (f == 14) utime = std::stoull(field);
      if (f == 15) stime = std::stoull(field);
    }
    s.pid += static_cast<double>(utime + stime) / tick;
  }
  return s;
}

double self_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The engine a run sends with, chosen and set up before anything is attached: its failures are
// clear errors that leave the interface as it was.
struct Engine {
  std::string name;                                // "live", "xsk", or "none" (--recv-only)
  std::unique_ptr<lg::Generator> live;             // live: the program run on live frames
  std::vector<std::unique_ptr<lg::XskSender>> xsk;  // xsk: a socket per sending thread (its queue)
};

Engine pick_engine(const Options& o, int ifindex, unsigned queues, std::size_t frame_len) {
  Engine e;
  std::string live_refusal;
  if (o.engine != "xsk") {
    e.live = std::make_unique<lg::Generator>();
    live_refusal = e.live->live_frames_refusal(ifindex);
    if (live_refusal.empty()) {
      e.name = "live";
      return e;
    }
    e.live.reset();
    if (o.engine == "live")
      throw std::runtime_error("--engine live: the kernel refuses it: " + live_refusal +
                               " (--engine xsk sends through AF_XDP instead)");
  }
  try {
    if (static_cast<unsigned>(o.threads) > queues)
      throw std::runtime_error("it binds one socket per queue and " + o.dev + " has " + std::to_string(queues) +
                               " TX queue(s): --threads " + std::to_string(o.threads) + " is too many");
    for (int k = 0; k < o.threads; ++k)
      e.xsk.push_back(std::make_unique<lg::XskSender>(o.dev, static_cast<std::uint32_t>(k), frame_len));
  } catch (const std::exception& x) {
    if (o.engine == "xsk") throw std::runtime_error(std::string("--engine xsk: ") + x.what());
    throw std::runtime_error("neither engine can send here: live frames: " + live_refusal + "; AF_XDP: " + x.what());
  }
  e.name = "xsk";
  return e;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  if (geteuid() != 0) {
    std::fprintf(stderr, "loadgen: needs root (BPF programs, XDP on %s): run it as root\n", o.dev.c_str());
    return 1;
  }
  const int ifindex = static_cast<int>(if_nametoindex(o.dev.c_str()));
  if (!ifindex) {
    std::fprintf(stderr, "loadgen: no interface '%s' here (run it in the interface's namespace)\n", o.dev.c_str());
    return 1;
  }

  const lg::Service& svc = lg::service(o.service);
  lg::FrameSpec spec;
  spec.family = o.family;
  for (std::size_t k = 0; k < o.vlans.size(); ++k)
    spec.tags.push_back({static_cast<std::uint16_t>(o.vlans.size() == 2 && k == 0 ? 0x88A8 : 0x8100), o.vlans[k]});
  spec.src_mac = lg::parse_mac(o.src_mac.empty() ? read_line("/sys/class/net/" + o.dev + "/address") : o.src_mac);
  spec.dst_mac = lg::parse_mac(o.dst_mac);
  spec.src = o.src;
  spec.src_count = o.src_count;
  spec.sport = o.sport;
  spec.sport_count = o.sport_count;
  spec.vips = lg::expand_vips(o.family, o.vip, o.vip_count);
  spec.dport = static_cast<std::uint16_t>(o.port > 0 ? o.port : svc.port);
  const std::size_t hdr = lg::header_len(o.family, spec.tags.size());
  const std::size_t size = o.size ? o.size : svc.fixed_payload ? hdr + svc.fixed_payload : 64;
  if (svc.fixed_payload && size != hdr + svc.fixed_payload)
    usage_error("--size " + std::to_string(size) + ": " + svc.name + " frames here are " +
                std::to_string(hdr + svc.fixed_payload) + " bytes (headers + " + std::to_string(svc.fixed_payload) + ")");
  spec.frame_len = size;
  if (size < hdr)
    usage_error("--size " + std::to_string(size) + " is below the " + std::to_string(hdr) +
                " bytes of headers this frame needs");
  const lg::Template t = lg::build_template(spec, svc.payload(size - hdr));

  const unsigned ncpu = std::max(1u, std::thread::hardware_concurrency());
  const unsigned queues = std::max(lg::tx_queues(o.dev), 1u);
  if (o.rate > 0 && static_cast<unsigned>(o.threads) > ncpu)
    usage_error("a paced run takes at most one thread per CPU (--threads <= " + std::to_string(ncpu) + ")");
  Engine engine = o.send ? pick_engine(o, ifindex, queues, size) : Engine{"none", nullptr, {}};

  // Each thread's share of the count, and of the rate: one frame per interval.
  const std::uint64_t per_thread = std::max<std::uint64_t>(1, o.count / static_cast<std::uint64_t>(o.threads));
  const std::uint64_t interval_ns =
      o.rate > 0 ? static_cast<std::uint64_t>(1e9 * static_cast<double>(o.threads) / o.rate) : 0;
  // Live frames run on the calling thread's CPU, so the program keeps its state per CPU.
  std::vector<std::uint64_t> quota(ncpu, 0);
  for (int k = 0; k < o.threads; ++k) quota[static_cast<unsigned>(k) % ncpu] += per_thread;
  if (engine.live) {
    engine.live->configure(t, interval_ns);
    engine.live->set_quota(quota);
  }
  std::unique_ptr<lg::Receiver> recv;
  if (o.recv) {
    recv = std::make_unique<lg::Receiver>();
    lg_recv_config rc = lg::recv_config(svc, spec.dport, spec.sport, spec.sport_count, t.udp_len);
    rc.v4_unsummed_ok = o.accept_no_checksum;  // --- DNS: Knot's XDP mode ---
    recv->configure(rc);
    recv->attach(ifindex);
    // Another generator waits for this line before it sends.
    if (!o.send) {
      struct sigaction sa {};
      sa.sa_handler = on_stop;
      sigaction(SIGINT, &sa, nullptr);
      sigaction(SIGTERM, &sa, nullptr);
      std::fprintf(stderr, "loadgen: counting answers on %s for %g s\n", o.dev.c_str(), o.duration);
    }
  }

  std::vector<std::string> errors(static_cast<std::size_t>(o.threads));
  std::vector<lg::XskRun> xsk_runs(engine.xsk.size());
  const lg_recv_counts before = recv ? recv->counts() : lg_recv_counts{};
  const CpuSample cpu0 = sample_cpu(o.cpu_pids);
  const double self0 = self_cpu();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> threads;
  for (int k = 0; o.send && k < o.threads; ++k) {
    threads.emplace_back([&, k] {
      const unsigned cpu = static_cast<unsigned>(k) % ncpu;
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      try {
        if (engine.live) {
          // Each call costs some milliseconds of set-up in the kernel (two RCU grace periods
          // among them), so calls are long: ~50 ms of frames, or ~0.2 s of pacing spins,
          // between clock checks.
          const std::uint32_t chunk = o.rate > 0 ? 1u << 18 : 1u << 16;
          while (Clock::now() < deadline) {
            engine.live->send(t.frame, ifindex, static_cast<std::uint32_t>(k) % queues, chunk, o.batch);
            if (engine.live->sent()[cpu] >= quota[cpu]) break;
          }
        } else {
          // Threads far apart in the sequence, so that they send different flows.
          xsk_runs[static_cast<std::size_t>(k)] = engine.xsk[static_cast<std::size_t>(k)]->run(
              t, static_cast<std::uint64_t>(k) * 0x9E3779B1u, per_thread, interval_ns, deadline, o.batch);
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(k)] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  while (!o.send && !g_stop && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double self1 = self_cpu();
  std::this_thread::sleep_for(std::chrono::milliseconds(o.settle_ms));
  const CpuSample cpu1 = sample_cpu(o.cpu_pids);
  for (const std::string& e : errors)
    if (!e.empty()) throw std::runtime_error(e);

  std::uint64_t total = 0, stuck = 0;
  bool stalled = false;
  if (engine.live)
    for (std::uint64_t n : engine.live->sent()) total += n;
  for (std::size_t k = 0; k < xsk_runs.size(); ++k) {
    total += xsk_runs[k].sent;
    stuck += xsk_runs[k].stuck;
    if (xsk_runs[k].stall.empty()) continue;
    stalled = true;
    if (xsk_runs[k].stuck)
      std::fprintf(stderr, "loadgen: the TX ring stopped completing, %llu frame(s) on it never sent: %s\n",
                   static_cast<unsigned long long>(xsk_runs[k].stuck), xsk_runs[k].stall.c_str());
    else
      std::fprintf(stderr, "loadgen: the run ended before its count and deadline: %s\n", xsk_runs[k].stall.c_str());
  }
  const std::string mode = engine.xsk.empty() ? "" : engine.xsk[0]->zero_copy() ? "zerocopy" : "copy";
  lg_recv_counts d{};
  if (recv) {
    const lg_recv_counts after = recv->counts();
    for (unsigned s = 0; s < LG_SERVICES; ++s) {
      d.good[s] = after.good[s] - before.good[s];
      d.bad[s] = after.bad[s] - before.bad[s];
    }
    for (unsigned r = 0; r < LG_BAD_REASONS; ++r) d.bad_reason[r] = after.bad_reason[r] - before.bad_reason[r];
    d.other = after.other - before.other;
  }
  const double answered = static_cast<double>(d.good[0]);
  const double busy = cpu1.busy - cpu0.busy, gen_cpu = self1 - self0;
  auto per_answer_ns = [&](double s) { return answered > 0 ? s / answered * 1e9 : 0.0; };
  const double loss = total ? 1.0 - answered / static_cast<double>(total) : 0.0;

  std::printf("engine=%s%s%s sent=%llu seconds=%.3f offered_pps=%.0f answered=%llu answered_pps=%.0f loss=%.5f "
              "bad=%llu other=%llu machine_cpu_ns_per_answer=%.0f server_cpu_ns_per_answer=%.0f%s\n",
              engine.name.c_str(), mode.empty() ? "" : "/", mode.c_str(), static_cast<unsigned long long>(total),
              seconds, static_cast<double>(total) / seconds, static_cast<unsigned long long>(d.good[0]),
              answered / seconds, loss, static_cast<unsigned long long>(d.bad[0]),
              static_cast<unsigned long long>(d.other), per_answer_ns(busy), per_answer_ns(cpu1.pid - cpu0.pid),
              stuck ? (" stuck=" + std::to_string(stuck)).c_str() : "");
  if (!o.json.empty()) {
    std::ofstream out(o.json);
    out << "{\"engine\": \"" << engine.name << "\", \"xsk_mode\": \"" << mode << "\", \"service\": \"" << svc.name
        << "\", \"family\": " << o.family << ", \"frame_len\": " << size
        << ", \"vlan_tags\": " << o.vlans.size() << ", \"vips\": " << o.vip_count << ", \"threads\": " << o.threads
        << ", \"batch\": " << o.batch << ", \"rate\": " << o.rate << ", \"sent\": " << total
        << ", \"tx_stuck\": " << stuck << ", \"seconds\": " << seconds
        << ", \"offered_pps\": " << static_cast<double>(total) / seconds
        << ", \"answered\": " << d.good[0] << ", \"answered_pps\": " << answered / seconds
        << ", \"loss\": " << loss << ", \"bad\": " << d.bad[0]
        << ", \"bad_header\": " << d.bad_reason[LG_BAD_HEADER] << ", \"bad_length\": " << d.bad_reason[LG_BAD_LENGTH]
        << ", \"bad_port\": " << d.bad_reason[LG_BAD_PORT] << ", \"bad_checksum\": " << d.bad_reason[LG_BAD_CHECKSUM] << ", \"bad_content\": " << d.bad_reason[LG_BAD_CONTENT]
        << ", \"other\": " << d.other << ", \"machine_cpu_s\": " << busy
        << ", \"softirq_cpu_s\": " << cpu1.softirq - cpu0.softirq << ", \"generator_cpu_s\": " << gen_cpu
        << ", \"server_cpu_s\": " << cpu1.pid - cpu0.pid << "}\n";
    if (!out) throw std::runtime_error("writing " + o.json);
  }
  // A run whose ring stopped completing measured less than it was asked to: say so in the status.
  return stalled ? 3 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "loadgen: %s\n", e.what());
  return 1;
}
