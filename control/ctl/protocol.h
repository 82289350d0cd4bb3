// SPDX-License-Identifier: Apache-2.0
#pragma once

// The control socket's protocol, shared by the daemon (ControlServer) and anycastctl. One request
// per connection: the client sends one line of JSON, the daemon answers with one line of JSON and
// closes. docs/anycastctl.md is the reference; this header is its code.
//
//   -> {"command":"drain","group":"dns"}
//   <- {"ok":true,"message":"dns: drained","groups":["dns"]}
//   <- {"ok":false,"error":"no group named \"dsn\" (groups: dns, ntp)"}
//
// Kept free of the daemon's own code (no spdlog, no libbpf) so that anycastctl stays small.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/peer.h"

namespace anycastd::ctl {

inline constexpr const char* kDefaultSocket = "/run/anycastd/anycastd.sock";
// A request is a command and a group name: anything near this size is a mistake or an attack.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

enum class Command { status, drain, undrain, reload, restart, check, nic, capture };
std::string_view to_string(Command c);
std::optional<Command> parse_command(std::string_view name);
// drain, undrain and check name a group (or "all"); the others take nothing.
bool takes_group(Command c);

// A capture's bounds (docs/capture.md): it ends at whichever comes first.
inline constexpr std::uint64_t kCaptureCountDefault = 1000;
inline constexpr std::uint64_t kCaptureCountMax = 1'000'000;
inline constexpr double kCaptureSecondsDefault = 60;
inline constexpr double kCaptureSecondsMax = 3600;

struct CaptureOptions {
  std::string filter;  // base/capture_filter.h's grammar; "" captures every answer
  std::uint64_t count = kCaptureCountDefault;  // frames: requests and answers
  double seconds = kCaptureSecondsDefault;
};

struct Request {
  Command command = Command::status;
  std::string group;  // drain/undrain/check: a group's name or "all"; "" otherwise
  bool soft = false;  // drain: the draining attributes for route.soft_drain_ms before the withdrawal
  CaptureOptions capture;  // capture: its filter and bounds (fields "filter", "count", "seconds")
  Peer peer;          // filled in by the server

  bool all_groups() const { return group == "all"; }
};

// A request the daemon cannot act on; what() is the whole message for the operator. The control
// server turns any exception a handler throws into {"ok":false,"error":what()}, so a handler may
// throw this (or any std::exception with a good message) instead of building the reply.
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One request line (without or with its trailing newline) -> Request. Throws RequestError naming
// the problem: not JSON, not an object, no "command", unknown command, missing or unexpected
// "group", unknown field.
Request parse_request(std::string_view line);

// The line a client sends, newline included.
std::string request_line(Command command, std::string_view group = {}, bool soft = false);
std::string capture_request_line(const CaptureOptions& options);

// The groups a drain/undrain/check names, as indices into `group_names`: all of them for "all",
// else the one named. Throws RequestError ("no group named \"x\" (groups: a, b)") otherwise.
std::vector<std::size_t> select_groups(const Request& request, const std::vector<std::string>& group_names);

// {"ok":true} with "message" when one is given; a handler adds what else it wants.
nlohmann::json ok_reply(std::string_view message = {});
// {"ok":false,"error":message}
nlohmann::json error_reply(std::string_view message);

// One line of JSON, newline included. Invalid UTF-8 in any string (a check's output, say) is
// replaced rather than thrown over: a reply must always go out.
std::string reply_line(const nlohmann::json& reply);

}  // namespace anycastd::ctl
