// SPDX-License-Identifier: Apache-2.0
#include "ctl/protocol.h"

#include <string>
#include <utility>
#include <vector>

namespace anycastd::ctl {

namespace {

constexpr Command kCommands[] = {Command::status, Command::drain,   Command::undrain, Command::reload,
                                 Command::restart, Command::check, Command::nic, Command::capture};

std::string command_list() {
  std::string out;
  for (Command c : kCommands) {
    if (!out.empty()) out += ", ";
    out += to_string(c);
  }
  return out;
}

// Quoted for an error message, cut short: the text came from the client and may be anything.
std::string quote_text(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = nlohmann::json(std::string(text.substr(0, kMax)))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMax) out += "...";
  return out;
}

}  // namespace

std::string_view to_string(Command c) {
  switch (c) {
    case Command::status: return "status";
    case Command::drain: return "drain";
    case Command::undrain: return "undrain";
    case Command::reload: return "reload";
    case Command::restart: return "restart";
    case Command::check: return "check";
    case Command::nic: return "nic";
    case Command::capture: return "capture";
  }
  return "?";
}

std::optional<Command> parse_command(std::string_view name) {
  for (Command c : kCommands)
    if (to_string(c) == name) return c;
  return std::nullopt;
}

bool takes_group(Command c) { return c == Command::drain || c == Command::undrain || c == Command::check; }

Request parse_request(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) throw RequestError("empty request: expected one line of JSON such as {\"command\":\"status\"}");

  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    // Mostly parse_error; a number too large for a double ("1e999") is out_of_range, which is no
    // less a malformed request. nlohmann's own text ("[json.exception.parse_error.101] parse
    // error at line 1, column 3: syntax error ...") is precise but noisy; keep the part after
    // the prefix.
    std::string why = e.what();
    if (auto at = why.find("] "); at != std::string::npos) why.erase(0, at + 2);
    throw RequestError("malformed request, not JSON: " + why);
  }
  if (!doc.is_object())
    throw RequestError("malformed request: expected a JSON object such as {\"command\":\"status\"}");

  Request request;
  std::vector<std::pair<std::string, nlohmann::json>> capture_fields;
  bool has_command = false;
  bool has_group = false;
  bool has_soft = false;
  for (const auto& [key, value] : doc.items()) {
    if (key == "command") {
      if (!value.is_string()) throw RequestError("malformed request: \"command\" must be a string");
      const auto& name = value.get_ref<const std::string&>();
      auto command = parse_command(name);
      if (!command) throw RequestError("unknown command " + quote_text(name) + " (commands: " + command_list() + ")");
      request.command = *command;
      has_command = true;
    } else if (key == "group") {
      if (!value.is_string()) throw RequestError("malformed request: \"group\" must be a string");
      request.group = value.get<std::string>();
      has_group = true;
    } else if (key == "soft") {
      if (!value.is_boolean()) throw RequestError("malformed request: \"soft\" must be true or false");
      request.soft = value.get<bool>();
      has_soft = true;
    } else if (key == "filter" || key == "count" || key == "seconds") {
      capture_fields.emplace_back(key, value);
    } else {
      throw RequestError("malformed request: unknown field " + quote_text(key) +
                         " (fields: command, group; soft for drain; and filter, count, seconds for capture)");
    }
  }
  if (!has_command) throw RequestError("malformed request: no \"command\" (commands: " + command_list() + ")");

  auto name = std::string(to_string(request.command));
  if (takes_group(request.command)) {
    if (!has_group || request.group.empty())
      throw RequestError(name + " needs a group: a group's name or \"all\"");
    for (unsigned char ch : request.group)
      if (ch < 0x20 || ch == 0x7f) throw RequestError("group name " + quote_text(request.group) + " has control characters");
  } else if (has_group) {
    throw RequestError(name + " takes no group");
  }
  if (has_soft && request.command != Command::drain) throw RequestError(name + " takes no field \"soft\"");
  if (!capture_fields.empty() && request.command != Command::capture)
    throw RequestError(name + " takes no field \"" + capture_fields.front().first + "\"");
  for (const auto& [key, value] : capture_fields) {
    CaptureOptions& c = request.capture;
    if (key == "filter") {
      if (!value.is_string()) throw RequestError("malformed request: \"filter\" must be a string");
      c.filter = value.get<std::string>();
    } else if (key == "count") {
      if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 || value.get<std::uint64_t>() > kCaptureCountMax)
        throw RequestError("capture: \"count\" must be a whole number from 1 to " + std::to_string(kCaptureCountMax));
      c.count = value.get<std::uint64_t>();
    } else {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > kCaptureSecondsMax)
        throw RequestError("capture: \"seconds\" must be a number above 0 and at most " +
                           std::to_string(static_cast<int>(kCaptureSecondsMax)));
      c.seconds = value.get<double>();
    }
  }
  return request;
}

std::string request_line(Command command, std::string_view group, bool soft) {
  nlohmann::json doc{{"command", std::string(to_string(command))}};
  if (takes_group(command)) doc["group"] = std::string(group);
  if (soft && command == Command::drain) doc["soft"] = true;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string capture_request_line(const CaptureOptions& options) {
  nlohmann::json doc{{"command", "capture"}, {"count", options.count}, {"seconds", options.seconds}};
  if (!options.filter.empty()) doc["filter"] = options.filter;
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<std::size_t> select_groups(const Request& request, const std::vector<std::string>& group_names) {
  std::vector<std::size_t> out;
  if (request.all_groups()) {
    for (std::size_t i = 0; i < group_names.size(); ++i) out.push_back(i);
    return out;
  }
  for (std::size_t i = 0; i < group_names.size(); ++i)
    if (group_names[i] == request.group) return {i};

  std::string known;
  for (const auto& name : group_names) known += (known.empty() ? "" : ", ") + name;
  throw RequestError("no group named " + quote_text(request.group) +
                     (known.empty() ? std::string(" (no groups configured)") : " (groups: " + known + ")"));
}

nlohmann::json ok_reply(std::string_view message) {
  nlohmann::json reply{{"ok", true}};
  if (!message.empty()) reply["message"] = std::string(message);
  return reply;
}

nlohmann::json error_reply(std::string_view message) {
  return nlohmann::json{{"ok", false}, {"error", std::string(message)}};
}

std::string reply_line(const nlohmann::json& reply) {
  return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace anycastd::ctl
