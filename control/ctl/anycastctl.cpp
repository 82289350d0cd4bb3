// SPDX-License-Identifier: Apache-2.0
// anycastctl: the operator's command line to a running anycastd, over its control socket.
// docs/anycastctl.md is the manual.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/capture_filter.h"
#include "base/version.h"
#include "ctl/capture_client.h"
#include "ctl/client.h"
#include "ctl/nic_text.h"
#include "ctl/protocol.h"
#include "ctl/status_text.h"

namespace {

using namespace anycastd;

// Exit statuses, documented in --help and docs/anycastctl.md: scripts branch on them.
constexpr int kOk = 0;
constexpr int kDaemonError = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

constexpr const char* kUsageText = R"(usage: anycastctl [--socket PATH] [--timeout SECONDS] COMMAND [--json]

Talks to a running anycastd over its control socket.

commands:
  status [--json]        state of every group and VIP, checks, route signals, counters
  drain [--soft] GROUP|all
                         withdraw the group(s) and hold them out until undrain; --soft: the
                         draining attributes for route.soft_drain_ms first (route-signals.md)
  undrain GROUP|all      let the group(s) back in; they rise after `rise` passing checks
  check GROUP|all        run the group(s)' health checks now
  reload                 re-read the configuration (as SIGHUP does); a bad file is refused
  restart                re-execute anycastd, re-adopting the running fast path and routes
  nic [--json]           per interface: driver, firmware, queues, rings, MTU, XDP mode and the
                         kernel's XDP features, IRQs, and what to tune (docs/tuning.md)
  capture -w FILE|- [--filter EXPR] [--count N] [--seconds S]
                         copy the requests the fast path answers, and its answers, into a
                         pcap file (- for stdout: anycastctl capture -w - | tcpdump -r -)
  groups                 the daemon's group names, one per line (what shell completion offers)

options:
  --socket PATH          the control socket (default /run/anycastd/anycastd.sock)
  --timeout SECONDS      how long to wait for the reply (default 10)
  --json                 print the daemon's JSON reply as it came
  --help, --version

capture options (docs/capture.md):
  -w FILE                the pcap file to write (- for stdout)
  --filter EXPR          which requests: vip PREFIX, src PREFIX, port N, joined by and
                         (default: every answered request)
  --count N              stop after N frames, requests and answers (default 1000, at most 1000000)
  --seconds S            stop after S seconds (default 60, at most 3600)

exit status: 0 done, 1 anycastd refused or failed (the reason is printed), 2 usage error,
3 anycastd could not be reached (or gave no usable reply).
)";

struct Options {
  std::string socket = ctl::kDefaultSocket;
  std::chrono::milliseconds timeout{10'000};
  bool json = false;
  ctl::Command command = ctl::Command::status;
  bool groups = false;  // "groups": a status request, of which only the group names are printed
  std::string group;
  bool soft = false;  // drain --soft
  ctl::CaptureOptions capture;
  std::optional<std::string> capture_file;  // -w
  bool capture_options = false;              // --filter, --count or --seconds given
};

struct UsageError {
  std::string message;
};

std::chrono::milliseconds parse_timeout(const std::string& text) {
  try {
    std::size_t used = 0;
    double s = std::stod(text, &used);
    if (used == text.size() && s > 0 && s <= 3600) return std::chrono::milliseconds(static_cast<long long>(s * 1000));
  } catch (const std::exception&) {
  }
  throw UsageError{"--timeout wants a number of seconds from 0.001 to 3600, not \"" + text + "\""};
}

std::uint64_t parse_count(const std::string& text) {
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 7;
  for (char ch : text) {
    if (ch < '0' || ch > '9') ok = false;
    if (ok) value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (!ok || value < 1 || value > ctl::kCaptureCountMax)
    throw UsageError{"--count wants a number of frames from 1 to " + std::to_string(ctl::kCaptureCountMax) +
                     ", not \"" + text + "\""};
  return value;
}

double parse_seconds(const std::string& text) {
  try {
    std::size_t used = 0;
    double s = std::stod(text, &used);
    if (used == text.size() && s > 0 && s <= ctl::kCaptureSecondsMax) return s;
  } catch (const std::exception&) {
  }
  throw UsageError{"--seconds wants a number of seconds above 0 and at most 3600, not \"" + text + "\""};
}

// Returns nullopt when --help or --version was handled.
std::optional<Options> parse_args(int argc, char** argv) {
  Options opt;
  std::vector<std::string> words;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string_view name) -> std::string {
      if (arg.size() > name.size() && arg.compare(0, name.size(), name) == 0 && arg[name.size()] == '=')
        return arg.substr(name.size() + 1);
      if (i + 1 >= argc) throw UsageError{std::string(name) + " needs a value"};
      return argv[++i];
    };
    auto is = [&](std::string_view name) {
      return arg == name || (arg.size() > name.size() && arg.compare(0, name.size(), name) == 0 && arg[name.size()] == '=');
    };
    if (options_done || arg.empty() || arg[0] != '-') {
      words.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsageText;
      return std::nullopt;
    } else if (arg == "--version") {
      std::cout << "anycastctl " << anycastd::version() << "\n";
      return std::nullopt;
    } else if (arg == "--json") {
      opt.json = true;
    } else if (arg == "--soft") {
      opt.soft = true;
    } else if (is("--socket")) {
      opt.socket = value("--socket");
      if (opt.socket.empty()) throw UsageError{"--socket needs a path"};
    } else if (is("--timeout")) {
      opt.timeout = parse_timeout(value("--timeout"));
    } else if (arg == "-w" || is("--write")) {
      opt.capture_file = value(arg == "-w" ? "-w" : "--write");
      if (opt.capture_file->empty()) throw UsageError{"-w needs a file name, or - for stdout"};
    } else if (is("--filter")) {
      opt.capture.filter = value("--filter");
      opt.capture_options = true;
    } else if (is("--count")) {
      opt.capture.count = parse_count(value("--count"));
      opt.capture_options = true;
    } else if (is("--seconds")) {
      opt.capture.seconds = parse_seconds(value("--seconds"));
      opt.capture_options = true;
    } else {
      throw UsageError{"unknown option " + arg};
    }
  }

  if (words.empty()) throw UsageError{"no command given"};
  // "groups" is anycastctl's own: the daemon knows no such command, its status has the names.
  opt.groups = words[0] == "groups";
  auto command = opt.groups ? ctl::Command::status : ctl::parse_command(words[0]);
  if (!command) throw UsageError{"unknown command \"" + words[0] + "\""};
  opt.command = *command;
  std::string name = words[0];
  if (ctl::takes_group(opt.command)) {
    if (words.size() < 2) throw UsageError{name + " needs a group: a group's name or \"all\""};
    if (words.size() > 2) throw UsageError{name + " takes one group, not " + std::to_string(words.size() - 1)};
    opt.group = words[1];
  } else if (words.size() > 1) {
    throw UsageError{name + " takes no argument (got \"" + words[1] + "\")"};
  }
  if (opt.soft && opt.command != ctl::Command::drain) throw UsageError{"--soft is for drain only"};
  if (opt.command == ctl::Command::capture) {
    if (!opt.capture_file) throw UsageError{"capture needs -w FILE (or -w - for stdout)"};
    try {
      parse_capture_filter(opt.capture.filter);
    } catch (const std::invalid_argument& e) {
      throw UsageError{e.what()};
    }
  } else if (opt.capture_file || opt.capture_options) {
    throw UsageError{"-w, --filter, --count and --seconds are for capture only"};
  }
  return opt;
}

// The summary goes to stderr: stdout may be the pcap.
int run_capture(const Options& opt) {
  nlohmann::json summary;
  try {
    summary = ctl::capture_to_file(opt.socket, opt.capture, *opt.capture_file, opt.timeout);
  } catch (const ctl::CaptureFailure& e) {
    std::cerr << "anycastctl: capture: " << e.what() << "\n";
    using Kind = ctl::CaptureFailure::Kind;
    return e.kind() == Kind::unreachable ? kUnreachable : kDaemonError;
  }
  auto number = [&](const char* key) {
    return summary.contains(key) && summary[key].is_number_unsigned() ? summary[key].get<std::uint64_t>() : 0;
  };
  std::cerr << "capture: " << number("frames") << " frames (" << number("requests") << " requests, "
            << number("answers") << " answers), " << number("lost") << " lost; ended: "
            << (summary.contains("ended") && summary["ended"].is_string() ? summary["ended"].get<std::string>() : "?")
            << "\n";
  return kOk;
}

// A group a reload removed or changed is listed while it drains (retiring); only the groups that
// stay can be named to drain, undrain or check, and a changed one is listed once under its name.
std::string group_names(const nlohmann::json& status) {
  std::string out;
  if (!status.contains("groups") || !status["groups"].is_array()) return out;
  for (const auto& g : status["groups"]) {
    if (!g.is_object() || !g.contains("name") || !g["name"].is_string()) continue;
    if (g.contains("retiring") && g["retiring"].is_boolean() && g["retiring"].get<bool>()) continue;
    out += g["name"].get<std::string>() + "\n";
  }
  return out;
}

int run(const Options& opt) {
  if (opt.command == ctl::Command::capture) return run_capture(opt);
  std::string reply_text;
  try {
    reply_text = ctl::exchange(opt.socket, ctl::request_line(opt.command, opt.group, opt.soft), opt.timeout);
  } catch (const ctl::ConnectError& e) {
    std::cerr << "anycastctl: " << e.what() << "\n";
    return kUnreachable;
  }

  nlohmann::json reply;
  try {
    reply = nlohmann::json::parse(reply_text);
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "anycastctl: anycastd on " << opt.socket << " sent a reply that is not JSON: " << e.what() << "\n";
    return kUnreachable;
  }
  if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean()) {
    std::cerr << "anycastctl: anycastd on " << opt.socket << " sent a reply without \"ok\": " << reply_text << "\n";
    return kUnreachable;
  }
  bool ok = reply["ok"].get<bool>();

  if (opt.json) {
    std::cout << reply_text << "\n";
    return ok ? kOk : kDaemonError;
  }
  if (!ok) {
    const auto& err = reply.contains("error") && reply["error"].is_string() ? reply["error"].get<std::string>()
                                                                             : reply.dump();
    std::cerr << "anycastctl: " << err << "\n";
    return kDaemonError;
  }

  if (opt.command == ctl::Command::status) {
    if (!reply.contains("status") || !reply["status"].is_object()) {
      std::cerr << "anycastctl: anycastd's status reply has no status in it: " << reply_text << "\n";
      return kUnreachable;
    }
    if (opt.groups) {
      std::cout << group_names(reply["status"]);
      return kOk;
    }
    std::cout << ctl::format_status(reply["status"]);
    return kOk;
  }
  if (opt.command == ctl::Command::nic) {
    if (!reply.contains("nic") || !reply["nic"].is_array()) {
      std::cerr << "anycastctl: anycastd's nic reply has no report in it (an anycastd older than the nic command?): "
                << reply_text << "\n";
      return kUnreachable;
    }
    std::cout << ctl::format_nic(reply["nic"]);
    return kOk;
  }
  if (reply.contains("message") && reply["message"].is_string()) {
    std::cout << reply["message"].get<std::string>() << "\n";
  } else {
    std::cout << ctl::to_string(opt.command) << (opt.group.empty() ? "" : " " + opt.group) << ": ok\n";
  }
  return kOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> opt;
  try {
    opt = parse_args(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << "anycastctl: " << e.message << "\nTry 'anycastctl --help'.\n";
    return kUsage;
  }
  if (!opt) return kOk;
  try {
    return run(*opt);
  } catch (const std::exception& e) {
    // Nothing above should throw; if it does, say so rather than abort with a core.
    std::cerr << "anycastctl: " << e.what() << "\n";
    return kUnreachable;
  }
}
