// SPDX-License-Identifier: Apache-2.0
#include "datapath/dpdk/dpdk_datapath.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>

#include "datapath/capture_config.h"
#include "datapath/dpdk/dpdk_binary.h"
#include "datapath/dpdk/dpdk_capture.h"
#include "datapath/dpdk/exception_interface.h"
#include "datapath/dpdk/port_links.h"

namespace anycastd {
namespace {

// Stats, probes and the NTP state: small and quick, so a reply is due soon; a late one fails only
// that request (a check, a counter read), never the datapath.
constexpr Millis kRequestTimeout{2000};
// Table sets, DNS tables, and adopting a handed-over process: their time grows with the load of
// the machine (a table build reserves tens of MiB, then waits for every worker), so they have no
// deadline of their own. The datapath is ended only when its heartbeat shows no progress for this
// long: the thread serving the request not running, or a worker not polling (which would hold the
// swap forever). Far above any scheduling delay of a loaded machine, far below a route that waits
// on a hung process.
constexpr Millis kNoProgressLimit{5000};
constexpr Millis kBackoffMax{30000};
constexpr Millis kStableAfter{60000};  // a process that ran this long restarts without back-off
constexpr Millis kStopGrace{10000};
constexpr int kChildChannelFd = 3;
// A worker whose poll counter has not moved for this long is stuck. Far above the longest idle
// sleep (100 ms), and independent of how often, or by how many groups, the check runs.
constexpr Millis kWorkerStuckAfter{1000};

// glibc 2.36 declares pidfd_open without C linkage for C++; the system call is what it wraps.
int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string how_it_ended(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return "exited with status " + std::to_string(info.si_status);
  const char* name = sigabbrev_np(info.si_status);
  return std::string(info.si_code == CLD_DUMPED ? "crashed (core dumped) on SIG" : "was killed by SIG") +
         (name ? name : std::to_string(info.si_status).c_str());
}

// Blocks until the process ends or the deadline; returns how it ended, nothing while it runs.
// Not a Refusal: that it ended is what the caller waits for.
std::optional<std::string> wait_for_exit(pid_t pid, int pidfd, Millis timeout) {
  pollfd fd{pidfd, POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED) != 0) return "ended";
  return how_it_ended(info);
}

std::string hex(const void* data, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    auto byte = static_cast<const std::uint8_t*>(data)[i];
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

bool unhex(const std::string& text, void* data, std::size_t n) {
  if (text.size() != 2 * n) return false;
  auto value = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  for (std::size_t i = 0; i < n; ++i)
    static_cast<std::uint8_t*>(data)[i] = static_cast<std::uint8_t>(value(text[2 * i]) << 4 | value(text[2 * i + 1]));
  return true;
}

std::string mac_text(const std::uint8_t* mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

struct StatsSnapshot {
  channel::StatsReply head{};
  std::vector<channel::LcoreStats> lcores;
  std::vector<channel::PortLink> links;
  std::vector<channel::Xstat> xstats;
  std::vector<channel::VipStats> vips;
};

enum class Patience { reply_soon, while_alive };

StatsSnapshot fetch_stats(ChannelClient& channel, Patience patience = Patience::reply_soon) {
  channel::Message reply = patience == Patience::while_alive
                               ? channel.request_while_alive(channel::Type::stats, nullptr, 0, kNoProgressLimit)
                               : channel.request(channel::Type::stats, nullptr, 0, kRequestTimeout);
  StatsSnapshot s;
  const auto& p = reply.payload;
  if (reply.type != channel::Type::stats_reply || p.size() < sizeof s.head)
    throw ChannelError("the datapath answered a stats request with something else");
  std::memcpy(&s.head, p.data(), sizeof s.head);
  std::size_t expected = sizeof s.head + std::size_t{s.head.lcores} * sizeof(channel::LcoreStats) +
                         std::size_t{s.head.ports} * sizeof(channel::PortLink) +
                         std::size_t{s.head.xstats} * sizeof(channel::Xstat) +
                         std::size_t{s.head.vips} * sizeof(channel::VipStats);
  if (p.size() != expected) throw ChannelError("stats reply of " + std::to_string(p.size()) + " bytes, expected " + std::to_string(expected));
  const std::uint8_t* at = p.data() + sizeof s.head;
  // An empty vector's data() may be null, which memcpy must not get even for no bytes.
  auto take = [&at](auto& records, std::size_t count) {
    records.resize(count);
    if (count == 0) return;
    std::memcpy(records.data(), at, count * sizeof records[0]);
    at += count * sizeof records[0];
  };
  take(s.lcores, s.head.lcores);
  take(s.links, s.head.ports);
  take(s.xstats, s.head.xstats);
  take(s.vips, s.head.vips);
  return s;
}

// Probes run in the datapath process, on its live tables, through the same core its workers
// run. In place means the process answers and every worker has polled since the last look.
class DpdkProbe final : public DatapathProbe {
 public:
  explicit DpdkProbe(std::shared_ptr<ChannelClient> channel) : channel_(std::move(channel)) {}

  InPlace in_place() override {
    StatsSnapshot s;
    try {
      s = fetch_stats(*channel_);
    } catch (const ChannelError& e) {
      return {false, e.what()};
    }
    std::string stuck;
    {
      std::lock_guard lock(mutex_);
      Clock::time_point now = Clock::now();
      if (seen_.size() != s.lcores.size()) seen_.assign(s.lcores.size(), {~std::uint64_t{0}, now});
      for (std::size_t i = 0; i < s.lcores.size(); ++i) {
        if (s.lcores[i].loops != seen_[i].loops)
          seen_[i] = {s.lcores[i].loops, now};
        else if (now - seen_[i].moved >= kWorkerStuckAfter)
          stuck += (stuck.empty() ? "" : ", ") + std::to_string(s.lcores[i].lcore);
      }
    }
    if (!stuck.empty()) return {false, "worker lcore " + stuck + " stopped polling"};
    return port_links_verdict(s.links, s.lcores.size());
  }

  ProbeRun run(const std::vector<std::uint8_t>& frame) override {
    ProbeRun r;
    try {
      channel::Message reply = channel_->request(channel::Type::probe, frame.data(), frame.size(), kRequestTimeout);
      channel::ProbeReply head;
      if (reply.type != channel::Type::probe_reply || reply.payload.size() < sizeof head)
        throw ChannelError("the datapath answered a probe with something else");
      std::memcpy(&head, reply.payload.data(), sizeof head);
      if (reply.payload.size() != sizeof head + head.length) throw ChannelError("probe reply length mismatch");
      r.answered = head.action == AC_ACT_ANSWER;
      if (!r.answered)
        r.verdict = std::string("pass (") + (head.reason < AC_PASS__COUNT ? ac_pass_reason_names[head.reason] : "?") + ")";
      r.frame.assign(reply.payload.begin() + sizeof head, reply.payload.end());
    } catch (const ChannelError& e) {
      r.error = e.what();
    }
    return r;
  }

 private:
  struct Heartbeat {
    std::uint64_t loops;
    Clock::time_point moved;  // when `loops` was last seen to change
  };
  std::shared_ptr<ChannelClient> channel_;
  std::mutex mutex_;
  std::vector<Heartbeat> seen_;  // per worker, shared by every group's check
};

// Names the configuration a datapath runs with, so a restart in place can tell whether the
// process it inherits was started with what the file says now (FNV-1a over the arguments).
std::string fingerprint(const DpdkConfig& config) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const std::string& arg : dpdk_arguments(config, kChildChannelFd)) {
    for (unsigned char c : arg + '\0') h = (h ^ c) * 0x100000001b3ull;
  }
  return hex(&h, sizeof h);
}

// ANYCASTD_DPDK_HANDOVER=PID:FD:HELLO:FINGERPRINT, left by prepare_exec() for the next image.
struct Handover {
  pid_t pid = 0;
  int fd = -1;
  channel::Hello hello{};
  std::string fingerprint;
};

void end_handover(Handover& h, const char* why);

std::optional<Handover> take_handover() {
  const char* value = std::getenv(DpdkDatapath::kHandoverEnv);
  if (!value) return std::nullopt;
  std::string text = value;
  unsetenv(DpdkDatapath::kHandoverEnv);  // not for exec checks, nor for a later image
  Handover h;
  std::size_t a = text.find(':'), b = text.find(':', a + 1), c = text.find(':', b + 1);
  if (c == std::string::npos) {
    spdlog::warn("{} is malformed ({}): ignored", DpdkDatapath::kHandoverEnv, text);
    return std::nullopt;
  }
  h.pid = std::atoi(text.substr(0, a).c_str());
  h.fd = std::atoi(text.substr(a + 1, b - a - 1).c_str());
  h.fingerprint = text.substr(c + 1);
  if (h.pid <= 0 || h.fd < 0) return std::nullopt;
  fcntl(h.fd, F_SETFD, FD_CLOEXEC);
  // A hello of another size comes from an image of another channel version (an upgrade): that
  // datapath cannot be spoken to, and left running it would hold the ports.
  if (!unhex(text.substr(b + 1, c - b - 1), &h.hello, sizeof h.hello)) {
    end_handover(h, "it speaks another channel version");
    return std::nullopt;
  }
  return h;
}

// Ends a handed-over datapath nobody adopts: closing its channel stops it.
void end_handover(Handover& h, const char* why) {
  close(h.fd);
  posix_io::UniqueFd pidfd(open_pidfd(h.pid));
  if (!pidfd) return;
  spdlog::info("stopping the DPDK datapath handed over by the previous image (pid {}): {}", h.pid, why);
  kill(h.pid, SIGTERM);
  std::optional<std::string> how = wait_for_exit(h.pid, pidfd.get(), kStopGrace);
  if (!how) {
    kill(h.pid, SIGKILL);
    how = wait_for_exit(h.pid, pidfd.get(), kStopGrace);
  }
  spdlog::info("anycastd-dpdk (pid {}) {}", h.pid, how.value_or("did not stop"));
}

}  // namespace

DpdkDatapath::DpdkDatapath(const DatapathConfig& config, NetlinkSocket& netlink, bool adopt)
    : config_(config.dpdk), netlink_(&netlink) {
  lock_.emplace("dpdk", config_.ports.front().exception_interface);
  probe_ = std::make_shared<DpdkProbe>(channel_);
  if (adopt && adopt_handover()) return;

  if (std::string problem = dpdk_binary_problem(config_); !problem.empty()) throw std::runtime_error(problem);
  spawn();
  for (;;) {
    long long left = std::chrono::duration_cast<Millis>(hello_deadline_ - Clock::now()).count();
    pollfd fds[2] = {{hello_socket_.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    int ready = left > 0 ? ::poll(fds, 2, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      kill(pid_, SIGKILL);
      std::optional<std::string> how = wait_for_exit(pid_, pidfd_.get(), kStopGrace);
      pid_ = -1;
      throw std::runtime_error("anycastd-dpdk did not report ready within " + std::to_string(config_.start_timeout.count()) +
                               " ms (EAL, port or exception path start-up; its messages are above); killed, " +
                               how.value_or(""));
    }
    if (fds[0].revents & POLLIN) {
      std::string error;
      if (auto hello = channel::receive_message(hello_socket_.get(), posix_io::deadline_in(Millis{1000}), error)) {
        try {
          on_hello(*hello);
        } catch (...) {
          // No destructor runs for a constructor that throws: stop the process here.
          hello_socket_.reset();
          channel_->detach("start-up failed");
          kill(pid_, SIGKILL);
          wait_for_exit(pid_, pidfd_.get(), kStopGrace);
          pid_ = -1;
          throw;
        }
        return;
      }
      if (error != "closed") throw std::runtime_error("anycastd-dpdk start-up: " + error);
    }
    // Closed without a hello, or gone: it failed and says why on stderr.
    std::optional<std::string> how = wait_for_exit(pid_, pidfd_.get(), kStopGrace);
    pid_ = -1;
    throw std::runtime_error("anycastd-dpdk " + how.value_or("closed the channel") +
                             " during start-up (its messages are above)");
  }
}

DpdkDatapath::~DpdkDatapath() {
  if (pid_ <= 0) return;
  channel_->detach("stopping");
  hello_socket_.reset();
  kill(pid_, SIGTERM);
  std::optional<std::string> how = wait_for_exit(pid_, pidfd_.get(), kStopGrace);
  if (!how) {
    spdlog::error("anycastd-dpdk (pid {}) did not stop within {} ms: killing it", pid_, kStopGrace.count());
    kill(pid_, SIGKILL);
    how = wait_for_exit(pid_, pidfd_.get(), kStopGrace);
  }
  spdlog::info("anycastd-dpdk (pid {}) {}", pid_, how.value_or(""));
}

std::vector<std::string> DpdkDatapath::command() const {
  std::vector<std::string> args = {dpdk_binary(config_)};
  std::vector<std::string> rest = dpdk_arguments(config_, kChildChannelFd);
  args.insert(args.end(), rest.begin(), rest.end());
  return args;
}

void DpdkDatapath::spawn() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error("socketpair for the datapath channel: " + posix_io::errno_text(errno));
  posix_io::UniqueFd ours(sv[0]), theirs(sv[1]);
  // Stats replies with many port xstats exceed the default socket buffer's largest datagram.
  int size = static_cast<int>(2 * channel::kMaxMessage);
  for (int fd : sv)
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);

  std::vector<std::string> args = command();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  spdlog::info("starting the DPDK datapath: {}", fmt::join(args, " "));

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + posix_io::errno_text(errno));
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec. Our signals are blocked for the signalfd:
    // the datapath needs them. Its own process group keeps a terminal's Ctrl-C for us, so the
    // datapath answers through the drain that follows.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    setpgid(0, 0);
    if (theirs.get() == kChildChannelFd)
      fcntl(kChildChannelFd, F_SETFD, 0);
    else
      dup2(theirs.get(), kChildChannelFd);
    execv(argv[0], argv.data());
    const char message[] = "anycastd: cannot exec the DPDK datapath binary\n";
    [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
  }
  pid_ = pid;
  pidfd_ = posix_io::UniqueFd(open_pidfd(pid));
  if (!pidfd_) throw std::runtime_error("pidfd_open: " + posix_io::errno_text(errno));
  hello_socket_ = std::move(ours);
  state_ = State::starting;
  started_at_ = Clock::now();
  hello_deadline_ = started_at_ + config_.start_timeout;
  down_reason_ = "the DPDK datapath is starting";
}

void DpdkDatapath::on_hello(const channel::Message& hello) {
  if (hello.type != channel::Type::hello || hello.payload.size() != sizeof hello_)
    throw std::runtime_error("anycastd-dpdk spoke first with something other than its hello");
  std::memcpy(&hello_, hello.payload.data(), sizeof hello_);
  configure_exception_interfaces();
  channel_->attach(std::move(hello_socket_));
  state_ = State::running;
  for (unsigned i = 0; i < hello_.ports; ++i) {
    const channel::HelloPort& p = hello_.port[i];
    spdlog::info("DPDK port {} ({}, profile {}, MAC {}), {} queue{}, exception {} on {}", p.port_id,
                 channel::text_of(p.driver), channel::text_of(p.profile), mac_text(p.mac), p.queues,
                 p.queues == 1 ? "" : "s", channel::text_of(hello_.exception), channel::text_of(p.exception_interface));
  }
  spdlog::info("DPDK datapath up: pid {}, {} port{}, {} worker{}", pid_, hello_.ports, hello_.ports == 1 ? "" : "s",
               hello_.queues, hello_.queues == 1 ? "" : "s");
  if (tables_) write_tables(*tables_);
  if (ntp_) write_ntp_state(*ntp_);
  if (edns_) write_dns_edns(*edns_);
  if (dns_) {
    try {
      write_dns_table(dns_);
    } catch (const std::runtime_error& e) {
      // DNS queries pass to the kernel (dns_no_table); everything else answers as before.
      spdlog::error("{}", e.what());
    }
  }
}

void DpdkDatapath::on_exit(const std::string& how, Clock::time_point now) {
  channel_->detach("anycastd-dpdk " + how);
  hello_socket_.reset();
  pidfd_.reset();
  pid_ = -1;
  ac_stats_add(&carried_, &last_);
  last_ = {};
  for (std::size_t e = 0; e < AC_VIP_STATS_ENTRIES; ++e)
    for (int a = 0; a < AC_ACT__COUNT; ++a) carried_vips_[e].action[a] += last_vips_[e].action[a];
  last_vips_.assign(AC_VIP_STATS_ENTRIES, ac_vip_stats{});
  if (state_ == State::running && now - started_at_ >= kStableAfter) backoff_ = Millis{1000};
  state_ = State::down;
  down_reason_ = "the DPDK datapath " + how;
  restart_at_ = now + backoff_;
  spdlog::error("DPDK datapath (anycastd-dpdk) {}: every group is held out, routes withdrawn; starting it again in {} ms",
                how, backoff_.count());
  backoff_ = std::min(backoff_ * 2, kBackoffMax);
  ++restarts_;
}

void DpdkDatapath::write_tables(const FastpathTables& tables) {
  // What earlier processes counted in an entry a new VIP takes is not that VIP's.
  for (std::uint32_t e : tables.vip_stats_fresh)
    if (e < AC_VIP_STATS_ENTRIES) carried_vips_[e] = {};
  if (state_ != State::running) {
    tables_ = tables;  // sent once the datapath is back
    return;
  }
  posix_io::UniqueFd image = channel::memfd_with(channel::encode_tables(tables));
  try {
    Clock::time_point sent = Clock::now();
    channel_->request_while_alive(channel::Type::tables, nullptr, 0, kNoProgressLimit, image.get());
    tables_ = tables;  // only what it took: a refused set must not follow it into its next life
    if (Millis took = std::chrono::duration_cast<Millis>(Clock::now() - sent); took >= kRequestTimeout)
      spdlog::info("DPDK datapath: the tables took {} ms to swap in, its heartbeat moving throughout", took.count());
  } catch (const ChannelRefused& e) {
    throw std::runtime_error(std::string("the DPDK datapath refused the tables: ") + e.what());
  } catch (const ChannelError& e) {
    // Stuck (its heartbeat says so) or gone: a datapath that cannot take its tables is no use.
    // End it; supervision starts a new one, which gets these tables.
    spdlog::error("DPDK datapath: writing the tables: {}; killing it", e.what());
    tables_ = tables;
    kill(pid_, SIGKILL);
  }
}

void DpdkDatapath::write_dns_table(std::shared_ptr<const std::vector<std::uint8_t>> image) {
  if (state_ != State::running) {
    dns_ = std::move(image);  // sent once the datapath is back
    return;
  }
  posix_io::UniqueFd memfd = channel::memfd_with(*image, "anycastd-dns");
  try {
    channel_->request_while_alive(channel::Type::dns_table, nullptr, 0, kNoProgressLimit, memfd.get());
    dns_ = std::move(image);
  } catch (const ChannelRefused& e) {
    throw std::runtime_error(std::string("the DPDK datapath refused the DNS table, it keeps the one it had: ") +
                             e.what());
  } catch (const ChannelError& e) {
    // As with the tables: supervision starts a new datapath, which gets this table.
    spdlog::error("DPDK datapath: writing the DNS table: {}; killing it", e.what());
    dns_ = std::move(image);
    kill(pid_, SIGKILL);
  }
}

void DpdkDatapath::write_ntp_state(const ac_ntp_state& state) {
  ntp_ = state;
  if (state_ != State::running) return;
  try {
    channel_->request(channel::Type::ntp_state, &state, sizeof state, kRequestTimeout);
  } catch (const ChannelError& e) {
    // The next refresh tries again; a dead datapath is supervision's business.
    spdlog::warn("DPDK datapath: writing the NTP state: {}", e.what());
  }
}

void DpdkDatapath::write_dns_edns(const ac_dns_edns& edns) {
  edns_ = edns;
  if (state_ != State::running) return;
  try {
    channel_->request(channel::Type::dns_edns, &edns, sizeof edns, kRequestTimeout);
  } catch (const ChannelError& e) {
    // The next second's write tries again; a dead datapath is supervision's business.
    spdlog::warn("DPDK datapath: writing the NSID and cookie settings: {}", e.what());
  }
}

std::vector<ac_vip_stats> DpdkDatapath::read_vip_stats() {
  if (state_ == State::running) {
    try {
      StatsSnapshot s = fetch_stats(*channel_);
      last_vips_.assign(AC_VIP_STATS_ENTRIES, ac_vip_stats{});
      for (const channel::VipStats& v : s.vips)
        if (v.entry < AC_VIP_STATS_ENTRIES) last_vips_[v.entry] = v.stats;
    } catch (const ChannelError& e) {
      spdlog::debug("DPDK datapath stats: {}", e.what());
    }
  }
  std::vector<ac_vip_stats> total = carried_vips_;
  for (std::size_t e = 0; e < AC_VIP_STATS_ENTRIES; ++e)
    for (int a = 0; a < AC_ACT__COUNT; ++a) total[e].action[a] += last_vips_[e].action[a];
  return total;
}

ac_stats DpdkDatapath::read_stats() {
  if (state_ == State::running) {
    try {
      StatsSnapshot s = fetch_stats(*channel_);
      last_ = {};
      for (const auto& l : s.lcores) ac_stats_add(&last_, &l.core);
    } catch (const ChannelError& e) {
      spdlog::debug("DPDK datapath stats: {}", e.what());
    }
  }
  ac_stats total = carried_;
  ac_stats_add(&total, &last_);
  return total;
}

std::unique_ptr<CaptureTap> DpdkDatapath::start_capture(const CaptureFilter& filter) {
  // A process that is (re)starting has no capture to give; a new one starts with none running.
  if (state_ != State::running) throw std::runtime_error("no capture: " + down_reason_);
  return std::make_unique<DpdkCapture>(channel_, capture_config(filter));
}

void DpdkDatapath::configure_exception_interfaces() {
  // The datapath made one interface per name it was given, and it was given config_.ports.
  if (hello_.ports != config_.ports.size() || hello_.ports > channel::kMaxPorts)
    throw std::runtime_error("the DPDK datapath reports " + std::to_string(hello_.ports) + " ports, the configuration has " +
                             std::to_string(config_.ports.size()));
  for (unsigned i = 0; i < hello_.ports; ++i)
    configure_exception_interface(*netlink_, channel::text_of(hello_.port[i].exception_interface), hello_.port[i].mac,
                                  config_.ports[i].exception_addresses);
}

std::string DpdkDatapath::summary() {
  std::string interfaces;
  for (unsigned i = 0; i < hello_.ports && i < channel::kMaxPorts; ++i)
    interfaces += (i ? ", " : "") + channel::text_of(hello_.port[i].exception_interface);
  return fmt::format("dpdk (pid {}, {}, exception {} on {})", pid_ > 0 ? pid_ : 0, channel::text_of(hello_.port[0].driver),
                     channel::text_of(hello_.exception), interfaces);
}

DatapathStatus DpdkDatapath::describe() {
  DatapathStatus status;
  status.kind = "dpdk";
  status.interface = channel::text_of(hello_.port[0].exception_interface);
  DpdkStatus d;
  d.running = state_ == State::running;
  d.down_reason = down_reason().why();
  d.pid = pid_ > 0 ? pid_ : 0;
  d.restarts = restarts_;
  d.exception = channel::text_of(hello_.exception);
  d.queues = hello_.queues;
  for (unsigned i = 0; i < hello_.ports && i < channel::kMaxPorts; ++i) {
    const channel::HelloPort& h = hello_.port[i];
    DpdkPortStatus p;
    p.port = h.port_id;
    p.driver = channel::text_of(h.driver);
    p.profile = channel::text_of(h.profile);
    p.exception_interface = channel::text_of(h.exception_interface);
    p.mac = mac_text(h.mac);
    p.queues = h.queues;
    d.ports.push_back(std::move(p));
  }
  if (d.running) {
    try {
      StatsSnapshot s = fetch_stats(*channel_);
      for (DpdkPortStatus& p : d.ports) {
        for (const channel::PortLink& l : s.links)
          if (l.port == p.port) {
            p.link_up = l.link_up != 0;
            p.link_speed_mbps = l.link_speed_mbps;
          }
        for (const channel::Xstat& x : s.xstats)
          if (x.port == p.port) p.xstats.emplace_back(channel::text_of(x.name), x.value);
        d.link_up = d.link_up || p.link_up;
      }
      d.lcores = std::move(s.lcores);
    } catch (const ChannelError& e) {
      d.down_reason = e.what();
    }
  }
  if (!d.ports.empty()) {
    const DpdkPortStatus& first = d.ports.front();
    d.driver = first.driver;
    d.profile = first.profile;
    d.exception_interface = first.exception_interface;
    d.mac = first.mac;
    d.link_speed_mbps = first.link_speed_mbps;
    d.xstats = first.xstats;
  }
  status.dpdk = std::move(d);
  return status;
}

std::vector<int> DpdkDatapath::poll_fds() const {
  std::vector<int> fds;
  if (pidfd_) fds.push_back(pidfd_.get());
  if (hello_socket_) fds.push_back(hello_socket_.get());
  return fds;
}

Clock::time_point DpdkDatapath::next_wakeup() const {
  if (state_ == State::down) return restart_at_;
  if (state_ == State::starting) return hello_deadline_;
  return Clock::time_point::max();
}

void DpdkDatapath::poll(Clock::time_point now) {
  if (pid_ > 0) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG) == 0 && info.si_pid == pid_) {
      on_exit(how_it_ended(info), now);
      return;
    }
  }
  if (state_ == State::starting) {
    pollfd fd{hello_socket_.get(), POLLIN, 0};
    if (::poll(&fd, 1, 0) > 0 && (fd.revents & POLLIN)) {
      std::string error;
      if (auto hello = channel::receive_message(hello_socket_.get(), posix_io::deadline_in(Millis{1000}), error)) {
        try {
          on_hello(*hello);
        } catch (const std::exception& e) {
          spdlog::error("DPDK datapath start-up: {}; killing it", e.what());
          kill(pid_, SIGKILL);
        }
      } else {
        hello_socket_.reset();  // closed: the exit follows
      }
    } else if (now >= hello_deadline_) {
      spdlog::error("DPDK datapath did not report ready within {} ms; killing it", config_.start_timeout.count());
      kill(pid_, SIGKILL);
      hello_deadline_ = Clock::time_point::max();
    }
  } else if (state_ == State::down && now >= restart_at_) {
    try {
      spawn();
    } catch (const std::exception& e) {
      spdlog::error("starting the DPDK datapath: {}", e.what());
      restart_at_ = now + backoff_;
    }
  }
}

void DpdkDatapath::discard_handover() {
  if (std::optional<Handover> h = take_handover()) end_handover(*h, "datapath.kind is no longer \"dpdk\"");
}

void DpdkDatapath::prepare_exec() {
  if (state_ != State::running) {
    // A datapath still starting would hold the port (EAL's lock) against the successor's own.
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      wait_for_exit(pid_, pidfd_.get(), kStopGrace);
    }
    return;
  }
  int fd = channel_->release();
  fcntl(fd, F_SETFD, 0);
  std::string value = std::to_string(pid_) + ":" + std::to_string(fd) + ":" + hex(&hello_, sizeof hello_) + ":" +
                      fingerprint(config_);
  setenv(kHandoverEnv, value.c_str(), 1);
}

bool DpdkDatapath::adopt_handover() {
  std::optional<Handover> h = take_handover();
  if (!h) return false;
  if (h->fingerprint != fingerprint(config_)) {
    end_handover(*h, "[datapath.dpdk] changed since it started");
    return false;
  }
  posix_io::UniqueFd socket(h->fd);
  posix_io::UniqueFd pidfd(open_pidfd(h->pid));
  if (!pidfd) {
    spdlog::warn("the DPDK datapath handed over (pid {}) is gone: starting a new one", h->pid);
    return false;
  }
  pid_ = h->pid;
  pidfd_ = std::move(pidfd);
  hello_ = h->hello;
  channel_->attach(std::move(socket));
  try {
    // Alive and speaking this channel's version; judged by its heartbeat, as a table write is:
    // a loaded machine must not turn a restart in place into a withdrawal.
    fetch_stats(*channel_, Patience::while_alive);
    // Nobody reads a capture this image did not start (docs/capture.md): one the previous image
    // left on, dying before its tap went, would go on copying for no reader.
    if (switch_dpdk_capture_off(*channel_, kNoProgressLimit))
      spdlog::warn("packet capture was left on by the previous instance: switched off");
    // The file may give the interfaces other addresses now.
    configure_exception_interfaces();
  } catch (const std::exception& e) {
    spdlog::warn("the DPDK datapath handed over (pid {}) cannot be adopted ({}): replacing it", pid_, e.what());
    channel_->detach("replaced");
    kill(pid_, SIGKILL);
    wait_for_exit(pid_, pidfd_.get(), kStopGrace);
    pidfd_.reset();
    pid_ = -1;
    return false;
  }
  state_ = State::running;
  started_at_ = Clock::now();
  spdlog::info("adopted the running DPDK datapath (pid {}): it answered throughout the restart", pid_);
  return true;
}

}  // namespace anycastd
