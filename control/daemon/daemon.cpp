// SPDX-License-Identifier: Apache-2.0
#include "daemon/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/capabilities.h"
#include "base/instance_lock.h"
#include "base/own_binary.h"
#include "base/signals.h"
#include "base/version.h"
#include "clock/clock_refresher.h"
#include "ctl/control_server.h"
#include "base/capture_filter.h"
#include "daemon/capture_session.h"
#include "daemon/commands.h"
#include "daemon/dns_table_loader.h"
#include "daemon/group_set.h"
#include "daemon/handover.h"
#include "datapath/config_tables.h"
#include "datapath/vip_series.h"
#include "datapath/dpdk/dpdk_datapath.h"
#include "datapath/xdp/xdp_datapath.h"
#include "dns_server/server_thread.h"
#include "group/group.h"
#include "metrics/metrics_server.h"
#include "metrics/render_metrics.h"
#include "netlink/netlink.h"
#include "route/bird_signal.h"
#include "status/stats_log.h"
#include "systemd/notify.h"
#include "dns/zone.h"

namespace anycastd {
namespace {

// How often maintenance files are looked at when nothing else wakes the loop.
constexpr Millis kHousekeeping{100};

class EventFd {
 public:
  EventFd() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  }
  ~EventFd() { close(fd_); }
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  int fd() const { return fd_; }
  void drain() {
    std::uint64_t value;
    [[maybe_unused]] ssize_t got = read(fd_, &value, sizeof value);
  }

 private:
  int fd_;
};

bool file_exists(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0;
}

std::string join_services(const Config& config) {
  std::string out;
  for (const ServiceConfig& s : config.services) {
    out += (out.empty() ? "" : ", ") + std::string(s.name()) + "/" + std::to_string(s.port);
    if (!s.allow.empty()) out += " (allow " + std::to_string(s.allow.size()) + " prefixes)";
  }
  return out.empty() ? "none (the kernel answers everything)" : out;
}

// Marked VIPs that are not configured: left by an earlier instance with another configuration.
// Reported, not removed: the operator decides.
void report_leftovers(const LoopbackSnapshot& before, const Config& config, const Interface& loopback) {
  std::vector<Prefix> configured(config.anycast.addresses);  // sorted: 65,536 of them are looked up
  std::sort(configured.begin(), configured.end());
  for (const LoopbackEntry& e : before.marked()) {
    Prefix vip = e.prefix;
    if (!e.is_route) vip.len = vip.max_len();  // an address is a host VIP's, whatever its length
    if (std::binary_search(configured.begin(), configured.end(), vip)) continue;
    spdlog::warn("{} {} on {} carries anycastd's marker but is not configured: left alone (remove it with: {})",
                 e.is_route ? "local route" : "address", e.prefix.str(), loopback.name,
                 e.is_route ? "ip route del local " + e.prefix.str() + " dev " + loopback.name + " table local"
                            : "ip addr del " + e.prefix.str() + " dev " + loopback.name);
  }
}

// What anycastd's own DNS server listens on: every VIP of the groups carrying dns, on the dns
// port. None without [services.dns] or with slow_path = false.
struct DnsSlowPath {
  std::vector<Prefix> addresses;
  std::uint16_t port = 0;
  bool operator==(const DnsSlowPath&) const = default;
};

std::optional<DnsSlowPath> dns_slow_path(const Config& config) {
  const ServiceConfig* dns = dns_service(config);
  if (!dns || !dns->dns.slow_path) return std::nullopt;
  DnsSlowPath wanted{{}, dns->port};
  std::set<Prefix> seen;  // a scan per VIP would cost billions of comparisons at 65,536
  for (const GroupConfig& g : config.groups)
    if (g.services & (1u << AC_SVC_DNS))
      for (const Prefix& vip : g.addresses)
        if (seen.insert(vip).second) wanted.addresses.push_back(vip);
  if (wanted.addresses.empty()) return std::nullopt;  // no group carries dns: nothing to serve
  return wanted;
}

// The slow path reads the image as a table; the aliasing pointer keeps the image's bytes alive
// for as long as the server holds it, whatever the loader has moved on to.
std::shared_ptr<const ac_dns_table> dns_table_of(const DnsImage& image) {
  if (!image) return nullptr;
  return {image, reinterpret_cast<const ac_dns_table*>(image->data())};
}

class Daemon : public CommandTarget {
 public:
  Daemon(Config config, DaemonOptions options) : config_(std::move(config)), options_(std::move(options)) {}

  int run();

  DaemonStatus snapshot() const override;
  std::vector<std::string> group_names() const override;
  void check_now(const std::string& group) override;
  std::set<std::string>& drained() override { return drained_; }
  bool stopping() const override { return stopping_; }
  const std::string& config_path() const override { return options_.config_path; }
  Refusal reload() override;
  void request_restart() override { restart_requested_ = true; }
  ctl::Reply capture(const ctl::Request& request) override;

 private:
  void start();
  void serve();
  void stop_groups();
  [[noreturn]] void restart();
  void update_held_out(Clock::time_point now);
  // Refused while `g` must stay withdrawn, with why: the datapath gone, a drain, a file.
  // `soft`: set when every reason present is a soft one (the maintenance file's .soft variant).
  Refusal held_out_reason(const Group& g, bool* soft) const;
  // Makes a group and starts it, or with `adopt` takes it over from the previous image as it is.
  std::unique_ptr<Group> start_group(const GroupConfig& config, Clock::time_point now, bool adopt);
  void sync_tables();
  // With [services.ntp], (re)starts reading its clock when the settings changed; without, stops.
  void update_clock();
  // The NSID and cookie settings of config_ with the cookie clock's `now`, to the fast path and
  // the slow path: at start, after a reload and whenever the wall clock's second has turned.
  void write_dns_edns();
  // With zones in [services.dns]: compiles them (throws dns::ZoneError, the table in use stays).
  std::optional<CompiledDns> compile_zones(const Config& config);
  // Hands a compiled table to the fast path, or refuses with why it would not take it (the table
  // in use stays).
  Refusal install_dns(CompiledDns table);
  // Serves `wanted` with anycastd's own DNS server, replacing the one running when it differs
  // (the old one goes first: the new one binds the same addresses). Refused with why the new one
  // could not bind; then the one before is put back.
  Refusal serve_dns_slow_path(const std::optional<DnsSlowPath>& wanted);
  GroupEnvironment environment();
  // GroupEnvironment::keep_going: between windows of a long netlink job (65,536 VIPs going on),
  // the signals, the control socket and the metrics listener are served, so that SIGTERM, SIGHUP
  // and anycastctl are answered during a start. What cannot run inside the job waits for the
  // loop: a stop (the job stops and undoes itself first: false is returned from then on) and a
  // SIGHUP's reload; anycastctl reload is refused meanwhile, with why.
  bool keep_going();
  // Takes the pending signals: a stop or a reload to do when the loop next can.
  void take_signals();
  int timeout_ms(Clock::time_point now) const;
  Millis stats_interval() const { return Millis{static_cast<long long>(config_.log.stats_interval_s) * 1000}; }

  Config config_;
  DaemonOptions options_;
  ServiceNotifier notifier_;
  std::optional<SignalFd> signals_;
  std::optional<EventFd> wake_;
  std::optional<InstanceLock> loopback_lock_;
  std::optional<NetlinkSocket> netlink_;
  Interface loopback_;
  std::unique_ptr<Datapath> datapath_;
  std::unique_ptr<ClockRefresher> clock_;  // with [services.ntp]: the clock state it answers with
  std::optional<NtpServiceClock> clock_config_;
  DnsTableLoader dns_;
  std::optional<DnsSlowPath> dns_slow_path_;                 // what dns_server_ serves
  std::unique_ptr<dns_server::DnsServerThread> dns_server_;  // with slow_path = true
  ac_dns_edns dns_edns_{};                                   // as last written
  // The capture running (one at a time), and one between its reply and its handoff.
  std::unique_ptr<CaptureSession> capture_;
  bool capture_pending_ = false;
  std::optional<ctl::ControlServer> control_;
  std::optional<metrics::MetricsServer> metrics_;
  // Declared after what they use, so they go first: a group withdraws before the fast path goes.
  GroupSet groups_{[this](const GroupConfig& c, Clock::time_point now) { return start_group(c, now, false); }};
  std::set<std::string> drained_;                 // by anycastctl drain
  std::map<std::string, HandedPenalty> handed_penalties_;  // from the previous image (restart)
  std::vector<bool> written_answering_;
  FastpathTables written_;  // the last set the datapath took
  bool tables_written_ = false;
  bool stopping_ = false;
  bool stop_requested_ = false;    // SIGTERM or SIGINT taken, stop_groups() still to run
  bool reload_requested_ = false;  // SIGHUP taken, reload() still to run
  bool in_job_ = false;            // serving from inside keep_going()
  HostVipForm host_vips_ = HostVipForm::address;  // decided at start, kept by reloads
  bool restart_requested_ = false;
  WallClock::time_point started_ = WallClock::now();
  std::uint64_t reloads_ = 0, reload_failures_ = 0;
  std::string last_reload_error_;
  Clock::time_point next_watchdog_{};
  Clock::time_point next_stats_{};
  ac_stats last_logged_{};
};

GroupEnvironment Daemon::environment() {
  GroupEnvironment env;
  env.netlink = &*netlink_;
  env.loopback = loopback_;
  env.probe = datapath_->probe();
  env.wake_fd = wake_->fd();
  env.services = &config_.services;
  env.host_vips = host_vips_;
  env.keep_going = [this] { return keep_going(); };
  env.hooks = &config_.hooks;
  return env;
}

// Every group's VIPs in configuration order: the order the per-VIP series are given in.
static std::vector<Prefix> configured_vips(const Config& config) {
  std::vector<Prefix> out;
  for (const GroupConfig& g : config.groups) out.insert(out.end(), g.addresses.begin(), g.addresses.end());
  return out;
}

// The fast path answers a group's VIPs while the group says so; the tables are rewritten only
// when that changes (write_tables itself touches only entries that differ).
void Daemon::sync_tables() {
  std::vector<bool> answering;
  groups_.for_each([&](const Group& g) { answering.push_back(g.answering()); });
  if (tables_written_ && answering == written_answering_) return;

  FastpathTables tables = build_tables(config_);
  tables.vips.clear();
  std::uint32_t index = 0;
  groups_.for_each([&](const Group& g) {
    for (const Prefix& vip : g.config().addresses) {
      ac_vip_value value{};
      value.flags = g.answering() ? AC_VIP_F_ANSWERING : 0;
      value.services = g.config().services;
      value.group = index;
      tables.vips.push_back({vip, value});
    }
    ++index;
  });
  // Against the set the fast path holds (written_: the last one taken, or the predecessor's).
  tables.vip_stats_fresh =
      assign_vip_series(tables.vips, written_.vips, config_.metrics.vip_series, configured_vips(config_));
  // Marked written either way: a refused set is not retried on every turn of the loop, only
  // when what the groups want changes again (or a reload brings other tables).
  written_answering_ = std::move(answering);
  tables_written_ = true;
  try {
    datapath_->write_tables(tables);
    written_ = std::move(tables);
  } catch (const std::runtime_error& e) {
    spdlog::error("the fast path refused the tables; it keeps the set it had: {}", e.what());
    last_reload_error_ = e.what();
  }
}

Refusal Daemon::held_out_reason(const Group& g, bool* soft) const {
  *soft = false;
  if (Refusal down = datapath_->down_reason()) return down;
  if (drained_.count("all") || drained_.count(g.name())) return Refusal::because("drained by anycastctl");
  bool soft_drained = drained_.count("all:soft") || drained_.count(g.name() + ":soft");
  if (file_exists(config_.health.disable_file))
    return Refusal::because("maintenance file " + config_.health.disable_file);
  if (file_exists(g.config().disable_file)) return Refusal::because("maintenance file " + g.config().disable_file);
  if (soft_drained) {
    *soft = true;
    return Refusal::because("drained softly by anycastctl");
  }
  // The soft variant, FILE.soft beside each maintenance file: the draining attributes for
  // route.soft_drain_ms, then the withdrawal (docs/route-signals.md).
  for (const std::string& file : {config_.health.disable_file, g.config().disable_file})
    if (!file.empty() && file_exists(file + ".soft")) {
      *soft = true;
      return Refusal::because("soft maintenance file " + file + ".soft");
    }
  return Refusal::none();
}

bool Daemon::keep_going() {
  // Re-entered from a reply being served here (none adds VIPs today): nothing is served twice.
  if (in_job_) return !stop_requested_;
  std::vector<pollfd> fds = {{signals_->fd(), POLLIN, 0},
                             {control_ ? control_->fd() : -1, POLLIN, 0},
                             {metrics_ ? metrics_->fd() : -1, POLLIN, 0}};
  if (poll(fds.data(), fds.size(), 0) > 0) {
    in_job_ = true;
    take_signals();
    if (fds[1].revents & POLLIN) control_->on_readable();
    if (fds[2].revents & POLLIN) metrics_->on_readable();
    in_job_ = false;
  }
  return !stop_requested_ && !stopping_;
}

void Daemon::take_signals() {
  while (int signal = signals_->take()) {
    if (signal == SIGHUP && !stopping_ && !stop_requested_) {
      spdlog::info("SIGHUP: reloading {}{}", options_.config_path, in_job_ ? " once the VIPs being added are in" : "");
      reload_requested_ = true;
    } else if ((signal == SIGTERM || signal == SIGINT) && !stopping_ && !stop_requested_) {
      spdlog::info("{}: withdrawing, draining, then stopping{}", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                   in_job_ ? " (the VIPs being added are removed again first)" : "");
      stop_requested_ = true;
    }
  }
}

void Daemon::update_held_out(Clock::time_point now) {
  for (const auto& g : groups_.active()) {
    bool soft = false;
    Refusal reason = held_out_reason(*g, &soft);
    g->set_held_out(reason, now, soft);
  }
}

std::unique_ptr<Group> Daemon::start_group(const GroupConfig& config, Clock::time_point now, bool adopt) {
  auto g = std::make_unique<Group>(config, environment());
  bool soft = false;
  Refusal reason = held_out_reason(*g, &soft);
  g->set_held_out(reason, now, soft);
  if (adopt) {
    g->adopt(now);
    if (auto handed = handed_penalties_.find(config.name); handed != handed_penalties_.end())
      g->restore_penalty(handed->second.penalty, handed->second.suppressed, now);
  }
  else
    g->start(now);
  return g;
}

void Daemon::start() {
  Handover handed = take_handover(options_.adopt);
  if (!handed.previous_version.empty())
    spdlog::info("restarted in place from anycastd {} into anycastd {} ({})", handed.previous_version, version(),
                 own_binary());
  drained_ = std::move(handed.drained);
  handed_penalties_ = std::move(handed.penalties);
  loopback_ = find_interface(config_.anycast.loopback);
  host_vips_ = host_vips_as_routes(config_) ? HostVipForm::local_route : HostVipForm::address;
  spdlog::info("host VIPs go on {} as {} ([anycast] host_vips = \"{}\")", loopback_.name,
               host_vips_ == HostVipForm::local_route ? "local routes in table local" : "addresses",
               to_string(config_.anycast.host_vips));
  loopback_lock_.emplace("loopback", loopback_.name);
  wake_.emplace();
  netlink_.emplace();
  if (config_.datapath.kind == DatapathKind::dpdk)
    datapath_ = std::make_unique<DpdkDatapath>(config_.datapath, *netlink_, options_.adopt);
  else {
    DpdkDatapath::discard_handover();
    datapath_ = std::make_unique<XdpDatapath>(config_.datapath, options_.adopt);
  }
  // A restart in place goes on from the VIP set in the fast path, so that each VIP keeps its
  // counter entry (datapath/vip_series.h).
  written_.vips = datapath_->held_vips();
  report_leftovers(LoopbackSnapshot::take(*netlink_, loopback_), config_, loopback_);
  update_clock();
  write_dns_edns();
  // A zone that does not compile stops the start, as a bad configuration does. A fast path that
  // cannot take the table leaves DNS to the kernel (dns_no_table) and says so.
  if (std::optional<CompiledDns> table = compile_zones(config_))
    if (Refusal refused = install_dns(std::move(*table)))
      spdlog::error("DNS: {}; DNS queries go to the kernel", refused.why());
  // A slow path that cannot bind stops the start, as a control socket that cannot does.
  if (Refusal refused = serve_dns_slow_path(dns_slow_path(config_))) throw std::runtime_error(refused.why());

  // Groups decide what answers before the program is attached, so that taking over from a
  // predecessor (adopt) swaps one answering program for another with no gap.
  Clock::time_point now = Clock::now();
  for (const GroupConfig& gc : config_.groups) groups_.add(start_group(gc, now, options_.adopt));
  sync_tables();
  datapath_->activate();

  control_.emplace(config_.control.socket, [this](const ctl::Request& r) { return handle_command(*this, r); },
                   ctl::ControlServerOptions{}, std::move(handed.control));
  if (!config_.metrics.listen.empty())
    metrics_.emplace(config_.metrics.listen, [this] { return metrics::render_metrics(snapshot()); },
                     metrics::MetricsServerOptions{}, std::move(handed.metrics));
  // With metrics turned off in the file, the inherited listener closes with `handed`.
}

int Daemon::timeout_ms(Clock::time_point now) const {
  Clock::time_point next = now + kHousekeeping;
  groups_.for_each([&](const Group& g) { next = std::min(next, g.next_wakeup()); });
  if (notifier_.watchdog_interval()) next = std::min(next, next_watchdog_);
  next = std::min(next, datapath_->next_wakeup());
  if (capture_) next = std::min(next, capture_->next_wakeup());
  auto ms = std::chrono::duration_cast<Millis>(next - now).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, kHousekeeping.count()));
}

void Daemon::stop_groups() {
  stopping_ = true;
  notifier_.send("STOPPING=1");
  Clock::time_point now = Clock::now();
  groups_.stop(now);
}

void Daemon::update_clock() {
  std::optional<NtpServiceClock> wanted;
  for (const ServiceConfig& s : config_.services)
    if (s.id == AC_SVC_NTP) wanted = s.clock;
  if (wanted == clock_config_) return;
  clock_.reset();
  clock_config_ = wanted;
  if (!wanted) return;
  clock_ = std::make_unique<ClockRefresher>(make_clock_source(*wanted));
  if (auto state = clock_->take()) datapath_->write_ntp_state(*state);
}

void Daemon::write_dns_edns() {
  const ServiceConfig* dns = dns_service(config_);
  const DnsEdnsConfig none;
  const DnsEdnsConfig& e = dns ? dns->dns.edns : none;
  dns_edns_ = dns_edns_settings(e.nsid, e.cookie_secret, e.cookie_secret_previous, cookie_clock_now());
  datapath_->write_dns_edns(dns_edns_);
  if (dns_server_) dns_server_->set_edns(dns_edns_);
}

std::optional<CompiledDns> Daemon::compile_zones(const Config& config) {
  const ServiceConfig* dns = dns_service(config);
  if (!dns || dns->dns.zones.empty()) return std::nullopt;
  return dns_.compile(dns->dns.zones);
}

Refusal Daemon::install_dns(CompiledDns table) {
  try {
    datapath_->write_dns_table(table.image);
  } catch (const std::runtime_error& e) {
    dns_.failed(e.what());
    return Refusal::because(e.what());
  }
  std::string zones;
  for (const DnsZoneStatus& z : table.zones)
    zones += fmt::format("{}{} serial {} ({} records)", zones.empty() ? "" : ", ", z.origin, z.serial, z.records);
  spdlog::info("DNS table loaded: {}; {} entries, {} bytes", zones, table.entries, table.image->size());
  dns_.installed(std::move(table));
  if (dns_server_) dns_server_->set_table(dns_table_of(dns_.image()));
  return Refusal::none();
}

Refusal Daemon::serve_dns_slow_path(const std::optional<DnsSlowPath>& wanted) {
  if (wanted == dns_slow_path_) return Refusal::none();
  std::optional<DnsSlowPath> before = std::move(dns_slow_path_);
  dns_server_.reset();
  dns_slow_path_.reset();
  auto start = [this](const DnsSlowPath& p) {
    dns_server_ = std::make_unique<dns_server::DnsServerThread>(p.addresses, dns_server::DnsServerOptions{.port = p.port});
    dns_server_->set_table(dns_table_of(dns_.image()));
    dns_server_->set_edns(dns_edns_);
    dns_slow_path_ = p;
    spdlog::info("DNS slow path: serving {} VIPs on port {} (UDP and TCP)", p.addresses.size(), p.port);
  };
  if (!wanted) {
    if (before) spdlog::info("DNS slow path: stopped");
    return Refusal::none();
  }
  try {
    start(*wanted);
    return Refusal::none();
  } catch (const std::runtime_error& e) {
    Refusal refused = Refusal::because(std::string("DNS slow path: ") + e.what());
    if (before) try {
        start(*before);
      } catch (const std::runtime_error& again) {
        spdlog::error("DNS slow path: the server before cannot bind again either, DNS goes unanswered by "
                      "anycastd's slow path until the next reload: {}", again.what());
      }
    return refused;
  }
}

Refusal Daemon::reload() {
  // The groups are mid-change (a VIP set going on); a reload would replace them under it.
  if (in_job_)
    return Refusal::because("VIPs are being added to " + loopback_.name + " (a start or a reload): try again when "
                            "that is done (anycastctl status shows the groups' states)");
  notifier_.send("RELOADING=1");
  Config next;
  // All or nothing: the file, the zones it names, BIRD greeting each group that would start with
  // the bird signal, the slow path binding, the fast path taking the new DNS table; the first
  // that fails puts back what the steps before it changed and leaves everything as it was.
  auto reject = [&](const std::string& why) {
    spdlog::error("reload rejected, the running configuration stays: {}", why);
    notifier_.send("READY=1\nSTATUS=reload rejected: " + why);
    ++reload_failures_;
    last_reload_error_ = why;
    return Refusal::because(why);
  };
  try {
    next = load_config(options_.config_path);
    if (Refusal changed = restart_only_changes(config_, next))
      throw ConfigError(options_.config_path + ": " + changed.why() +
                        " changed: that takes a restart (anycastctl restart), not a reload");
    for (const GroupConfig& g : next.groups) {
      if (groups_.running(g) || g.route.signal != SignalKind::bird) continue;
      if (Refusal unreachable = BirdSignal(g.route.bird).unreachable())
        return reject("group " + g.name + ": " + unreachable.why());
    }
    std::optional<CompiledDns> table = compile_zones(next);
    // The interfaces first: the new ones attached, all or none, beside the running ones; those no
    // longer listed leave only once the reload is done, so a later step that fails takes back
    // just what was added (a removal cannot fail).
    const bool interfaces_change = next.datapath.interfaces != config_.datapath.interfaces;
    std::vector<std::string> both = config_.datapath.interfaces;
    for (const std::string& name : next.datapath.interfaces)
      if (std::find(both.begin(), both.end(), name) == both.end()) both.push_back(name);
    if (interfaces_change) {
      try {
        datapath_->set_interfaces(both);
      } catch (const std::runtime_error& e) {
        return reject(std::string("datapath.interface: ") + e.what());
      }
    }
    auto restore_interfaces = [&] {
      if (interfaces_change) datapath_->set_interfaces(config_.datapath.interfaces);
    };
    // The server before stays when the new one cannot bind, or when the fast path refuses the table.
    std::optional<DnsSlowPath> slow_before = dns_slow_path_;
    if (Refusal refused = serve_dns_slow_path(dns_slow_path(next))) {
      restore_interfaces();
      return reject(refused.why());
    }
    if (table)
      if (Refusal refused = install_dns(std::move(*table))) {
        if (Refusal again = serve_dns_slow_path(slow_before)) spdlog::error("{}", again.why());
        restore_interfaces();
        return reject(refused.why());
      }
  } catch (const ConfigError& e) {
    return reject(e.what());
  } catch (const dns::ZoneError& e) {
    return reject(e.what());
  } catch (const std::invalid_argument& e) {  // a route signal refusing its settings
    return reject(e.what());
  }

  if (next.datapath.interfaces != config_.datapath.interfaces) datapath_->set_interfaces(next.datapath.interfaces);
  Clock::time_point now = Clock::now();
  config_ = std::move(next);
  // [log] takes effect too: the level (unless --log-level overrides it) and the stats interval.
  spdlog::set_level(options_.log_level.value_or(config_.log.level));
  next_stats_ = now + stats_interval();
  update_clock();
  write_dns_edns();
  groups_.reconcile(config_.groups, now);
  groups_.for_each([&](Group& g) { g.set_hooks(config_.hooks); });
  tables_written_ = false;  // services and allow lists may have changed
  sync_tables();
  spdlog::info("configuration reloaded from {}", options_.config_path);
  notifier_.send("READY=1\nSTATUS=configuration reloaded");
  ++reloads_;
  last_reload_error_.clear();
  return Refusal::none();
}

DaemonStatus Daemon::snapshot() const {
  DaemonStatus s;
  s.taken = WallClock::now();
  s.taken_steady = std::chrono::steady_clock::now();
  s.version = std::string(version());
  s.pid = getpid();
  s.config_path = options_.config_path;
  s.started = started_;
  if (capture_) s.capture = CaptureStatus{capture_->filter(), capture_->client_name(), capture_->frames()};
  DatapathStatus datapath = datapath_->describe();
  s.datapath = std::move(datapath.kind);
  s.interface = std::move(datapath.interface);
  s.xdp_mode = std::move(datapath.xdp_mode);
  s.prog_id = datapath.prog_id;
  s.attach = std::move(datapath.attach);
  s.interfaces = std::move(datapath.interfaces);
  s.chain_map = std::move(datapath.chain_map);
  s.chain_index = datapath.chain_index;
  s.dpdk = std::move(datapath.dpdk);
  s.answering = !stopping_;
  for (const auto& g : groups_.active()) s.groups.push_back(g->status());
  for (const auto& g : groups_.retiring()) {
    s.groups.push_back(g->status());
    s.groups.back().retiring = true;
  }
  s.counters = datapath_->read_stats();
  std::vector<std::string> group_names;  // by value.group, as sync_tables numbers them
  groups_.for_each([&](const Group& g) { group_names.push_back(g.name()); });
  std::vector<ac_vip_stats> vip_stats = datapath_->read_vip_stats();
  s.vip_counters = !vip_stats.empty();
  s.vips = vip_counter_status(in_config_order(written_.vips, configured_vips(config_)), vip_stats, group_names,
                              s.vips_over_cap);
  s.vip_series = config_.metrics.vip_series;
  s.reloads = reloads_;
  s.reload_failures = reload_failures_;
  s.last_reload_error = last_reload_error_;
  s.running.log_level = spdlog::get_level();
  s.running.stats_interval_s = config_.log.stats_interval_s;
  s.running.disable_file = config_.health.disable_file;
  s.running.tables = written_;
  s.running.clock = clock_config_;
  if (clock_) {
    ServedClock c = clock_->latest();
    s.ntp = NtpClockStatus{std::move(c.source), c.reachable, c.synchronised, c.state, c.read_at};
  }
  s.running.control_socket = control_->path();
  s.running.metrics_listen = metrics_ ? metrics_->address().str() : "";
  if (const ServiceConfig* dns = dns_service(config_)) {
    s.dns = dns_.status();
    s.dns->nsid = dns->dns.edns.nsid;
    s.dns->cookie_secret_file = dns->dns.edns.cookie_secret_file;
    s.dns->cookie_secret_previous_file = dns->dns.edns.cookie_secret_previous_file;
    if (dns_server_) {
      dns_server::DnsSlowStats st = dns_server_->stats();
      DnsSlowPathStatus slow;
      slow.port = dns_slow_path_->port;
      slow.addresses = dns_slow_path_->addresses.size();
      for (unsigned i = 0; i < dns_server::kDnsSlowCounterCount; ++i)
        slow.counters.emplace_back(dns_server::kDnsSlowCounterNames[i], st.count[i]);
      slow.tcp_open = st.tcp_open;
      s.dns->slow_path = std::move(slow);
    }
  }
  return s;
}

std::vector<std::string> Daemon::group_names() const {
  std::vector<std::string> names;
  for (const auto& g : groups_.active()) names.push_back(g->name());
  return names;
}

void Daemon::check_now(const std::string& group) {
  for (const auto& g : groups_.active())
    if (g->name() == group) g->check_now();
}

ctl::Reply Daemon::capture(const ctl::Request& request) {
  if (stopping_) throw ctl::RequestError("stopping: no capture");
  if (capture_ || capture_pending_)
    throw ctl::RequestError(capture_ ? "a capture is already running (for " + capture_->client_name() +
                                           ", filter " + capture_->filter() + "): one at a time"
                                     : "a capture is already starting: one at a time");
  CaptureFilter filter;
  try {
    filter = parse_capture_filter(request.capture.filter);
  } catch (const std::invalid_argument& e) {
    throw ctl::RequestError(e.what());
  }
  // Started before the reply goes: frames of the moment in between wait in the rings.
  std::shared_ptr<CaptureTap> tap = datapath_->start_capture(filter);
  capture_pending_ = true;
  const ctl::CaptureOptions options = request.capture;
  const std::string client = request.peer.describe();
  nlohmann::json reply = ctl::ok_reply(fmt::format("capturing: filter {}, up to {} frames or {} s", filter.str(),
                                                   options.count, options.seconds));
  reply["filter"] = filter.str();
  return ctl::Reply(std::move(reply), [this, tap, options, client, text = filter.str()](posix_io::UniqueFd fd) mutable {
    capture_pending_ = false;
    if (!fd) return;  // the client went before its reply: the tap goes with this closure
    // Moved out: the session is its only owner, and ending the session switches the copy off.
    capture_ = std::make_unique<CaptureSession>(std::move(fd), std::move(tap), options, text, client, Clock::now());
  });
}

void Daemon::restart() {
  spdlog::info("restarting in place: the fast path, aliases and routes stay as they are");
  groups_.for_each([](Group& g) {
    g.finish_checks();
    g.finish_hooks();
  });
  // The clients already accepted get their replies from this image (the restart's own among
  // them); the ones still connecting wait in the listeners' backlogs for the next.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  control_->finish(until);
  if (metrics_) metrics_->finish(until);
  // The next image switches any capture off anyway; this one tells its client why it ended.
  if (capture_) capture_->finish_now("daemon restarting", until);
  capture_.reset();
  datapath_->prepare_exec();
  spdlog::default_logger()->flush();
  std::map<std::string, HandedPenalty> penalties;
  groups_.for_each([&](Group& g) {
    GroupStatus s = g.status();
    if (s.penalty > 0) penalties[g.name()] = {s.penalty, s.suppressed};
  });
  std::string why = exec_in_place(options_.argv, drained_, penalties, control_->listener_fd(),
                                  metrics_ ? metrics_->listener_fd() : -1);
  spdlog::critical("restart: exec failed: {}; stopping", why);
  std::_Exit(1);  // the routes and answers stay; a supervisor's restart re-adopts them
}

void Daemon::serve() {
  std::string names;
  for (const std::string& name : group_names()) names += (names.empty() ? "" : ", ") + name;
  spdlog::info("anycastd started: {}, groups {}; services {}; control {}{}", datapath_->summary(), names,
               join_services(config_), control_->path(), metrics_ ? "; metrics http://" + metrics_->address().str() + "/metrics" : "");
  notifier_.send("READY=1\nSTATUS=serving");

  next_stats_ = Clock::now() + stats_interval();
  for (;;) {
    Clock::time_point now = Clock::now();
    std::vector<pollfd> fds = {{signals_->fd(), POLLIN, 0},
                               {wake_->fd(), POLLIN, 0},
                               {control_->fd(), POLLIN, 0},
                               {metrics_ ? metrics_->fd() : -1, POLLIN, 0}};
    for (int fd : datapath_->poll_fds()) fds.push_back({fd, POLLIN, 0});
    if (capture_)
      for (const pollfd& fd : capture_->poll_fds()) fds.push_back(fd);
    if (poll(fds.data(), fds.size(), timeout_ms(now)) < 0 && errno != EINTR)
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    now = Clock::now();
    datapath_->poll(now);
    if (capture_) {
      if (stopping_) capture_->end("daemon stopping", now);
      capture_->poll(now);
      if (capture_->done()) capture_.reset();
    }

    if (fds[1].revents & POLLIN) wake_->drain();
    if (fds[2].revents & POLLIN) control_->on_readable();
    if (fds[3].revents & POLLIN) metrics_->on_readable();
    if (restart_requested_ && !stop_requested_) restart();
    take_signals();
    if (stop_requested_ && !stopping_) {
      reload_requested_ = false;
      stop_groups();
    }
    if (reload_requested_) {
      reload_requested_ = false;
      // A rejection is logged, told to systemd and kept for the status: nobody else to tell.
      static_cast<void>(reload());
    }

    if (!stopping_) update_held_out(now);
    // Retired groups leave once drained; a changed group's successor starts then.
    if (groups_.poll(now, stopping_)) tables_written_ = false;
    sync_tables();
    if (clock_)
      if (auto state = clock_->take()) datapath_->write_ntp_state(*state);
    // The loop turns at least every kHousekeeping, so a cookie's timestamp is at most that late.
    if (dns_edns_.secrets && cookie_clock_now() != dns_edns_.now) write_dns_edns();

    if (notifier_.watchdog_interval() && now >= next_watchdog_) {
      notifier_.send("WATCHDOG=1");
      next_watchdog_ = now + *notifier_.watchdog_interval();
    }
    if (stats_interval().count() && now >= next_stats_) {
      // An idle server does not fill the log with the same numbers.
      ac_stats current = datapath_->read_stats();
      if (std::memcmp(&current, &last_logged_, sizeof current) != 0) log_stats(current, "counters");
      last_logged_ = current;
      next_stats_ = now + stats_interval();
    }
    if (stopping_ && groups_.done()) return;
  }
}

int Daemon::run() {
  // Blocked before anything is created. A SIGTERM during start-up is taken between windows of the
  // VIPs going on (keep_going: they stop and are removed again) and otherwise when the start is
  // done, and then handled as a normal stop.
  signals_.emplace(std::initializer_list<int>{SIGTERM, SIGINT, SIGHUP});
  try {
    start();
  } catch (const std::exception& e) {
    // Said before the undo so the reason comes first in the log.
    spdlog::critical("start-up failed: {}", e.what());
    spdlog::info("undoing what was done");
    return 1;
  }
  serve();
  // A capture's client gets its end record before the fast path goes.
  if (capture_) capture_->finish_now("daemon stopping", Clock::now() + std::chrono::seconds(1));
  capture_.reset();
  // Every group is down: withdrawn, drained, not answering, aliases gone. Now the fast path.
  groups_.clear();
  log_stats(datapath_->read_stats(), "final counters");
  datapath_.reset();
  spdlog::info("anycastd stopped");
  return 0;
}

}  // namespace

int run_daemon(const Config& config, const DaemonOptions& options) {
  if (Refusal problem = capability_problem()) {
    spdlog::critical("{}", problem.why());
    return 1;
  }
  try {
    Daemon daemon(config, options);
    return daemon.run();
  } catch (const std::exception& e) {
    // Failures while running or stopping; RAII has undone what it could.
    spdlog::critical("anycastd failed: {}", e.what());
    return 1;
  }
}

}  // namespace anycastd
