// SPDX-License-Identifier: Apache-2.0
// The request line: what parses, and what each mistake is called.
#include "ctl/protocol.h"

#include <gtest/gtest.h>

namespace anycastd::ctl {
namespace {

std::string error_of(std::string_view line) {
  try {
    parse_request(line);
  } catch (const RequestError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(Protocol, ParsesEveryCommand) {
  EXPECT_EQ(parse_request(R"({"command":"status"})").command, Command::status);
  EXPECT_EQ(parse_request("{\"command\":\"reload\"}\n").command, Command::reload);
  EXPECT_EQ(parse_request("{\"command\":\"restart\"}\r\n").command, Command::restart);
  auto drain = parse_request(R"({"command":"drain","group":"dns"})");
  EXPECT_EQ(drain.command, Command::drain);
  EXPECT_EQ(drain.group, "dns");
  EXPECT_FALSE(drain.all_groups());
  auto check = parse_request(R"({"group":"all","command":"check"})");
  EXPECT_EQ(check.command, Command::check);
  EXPECT_TRUE(check.all_groups());
  EXPECT_EQ(parse_request(R"({"command":"undrain","group":"ntp"})").command, Command::undrain);
}

TEST(Protocol, RequestLineRoundTrips) {
  EXPECT_EQ(request_line(Command::status), "{\"command\":\"status\"}\n");
  EXPECT_EQ(request_line(Command::drain, "dns"), "{\"command\":\"drain\",\"group\":\"dns\"}\n");
  for (auto c : {Command::status, Command::drain, Command::undrain, Command::reload, Command::restart, Command::check,
                 Command::nic}) {
    auto r = parse_request(request_line(c, "g \"1\""));
    EXPECT_EQ(r.command, c);
    EXPECT_EQ(r.group, takes_group(c) ? "g \"1\"" : "");
  }
}

TEST(Protocol, NamesEachMistake) {
  EXPECT_EQ(error_of(""), "empty request: expected one line of JSON such as {\"command\":\"status\"}");
  EXPECT_EQ(error_of("status\n").rfind("malformed request, not JSON: parse error at line 1, column 1: syntax error", 0), 0u)
      << error_of("status\n");
  EXPECT_EQ(error_of("[1,2]"), "malformed request: expected a JSON object such as {\"command\":\"status\"}");
  EXPECT_EQ(error_of("{}"), "malformed request: no \"command\" (commands: status, drain, undrain, reload, restart, check, nic, capture)");
  EXPECT_EQ(error_of(R"({"command":"explode"})"),
            "unknown command \"explode\" (commands: status, drain, undrain, reload, restart, check, nic, capture)");
  EXPECT_EQ(error_of(R"({"command":7})"), "malformed request: \"command\" must be a string");
  EXPECT_EQ(error_of(R"({"command":"drain"})"), "drain needs a group: a group's name or \"all\"");
  EXPECT_EQ(error_of(R"({"command":"check","group":""})"), "check needs a group: a group's name or \"all\"");
  EXPECT_EQ(error_of(R"({"command":"drain","group":["a"]})"), "malformed request: \"group\" must be a string");
  EXPECT_EQ(error_of(R"({"command":"status","group":"dns"})"), "status takes no group");
  EXPECT_EQ(error_of(R"({"command":"status","force":true})"),
            "malformed request: unknown field \"force\" (fields: command, group; soft for drain; and filter, count, seconds for capture)");
  EXPECT_EQ(error_of(R"({"command":"drain","group":"a\nb"})"), "group name \"a\\nb\" has control characters");
  // Invalid UTF-8 is a JSON error, not a crash.
  EXPECT_EQ(error_of("{\"command\":\"\xff\"}").rfind("malformed request, not JSON", 0), 0u);
  // A number beyond a double is nlohmann's out_of_range, not its parse_error: found by fuzz_ctl_request
  // (corpus/fuzz_ctl_request/regression-number-out-of-range), it escaped as another exception type.
  EXPECT_EQ(error_of("1e999").rfind("malformed request, not JSON: number overflow", 0), 0u) << error_of("1e999");
  EXPECT_EQ(error_of(R"({"command":"status","x":-1e400})").rfind("malformed request, not JSON", 0), 0u);
}

TEST(Protocol, SoftDrain) {
  Request soft = parse_request(request_line(Command::drain, "dns", true));
  EXPECT_EQ(soft.command, Command::drain);
  EXPECT_EQ(soft.group, "dns");
  EXPECT_TRUE(soft.soft);
  EXPECT_EQ(request_line(Command::drain, "dns", true), "{\"command\":\"drain\",\"group\":\"dns\",\"soft\":true}\n");
  EXPECT_FALSE(parse_request(R"({"command":"drain","group":"dns"})").soft);
  EXPECT_EQ(error_of(R"({"command":"undrain","group":"dns","soft":true})"), "undrain takes no field \"soft\"");
  EXPECT_EQ(error_of(R"({"command":"drain","group":"dns","soft":"yes"})"),
            "malformed request: \"soft\" must be true or false");
}

TEST(Protocol, QuotesLongTextShort) {
  std::string name(500, 'x');
  auto err = error_of(R"({"command":")" + name + R"("})");
  EXPECT_LT(err.size(), 200u);
  EXPECT_NE(err.find("xxx\"... (commands:"), std::string::npos) << err;
}

TEST(Protocol, SelectsGroups) {
  std::vector<std::string> names{"dns", "ntp"};
  Request r;
  r.command = Command::drain;
  r.group = "all";
  EXPECT_EQ(select_groups(r, names), (std::vector<std::size_t>{0, 1}));
  r.group = "ntp";
  EXPECT_EQ(select_groups(r, names), (std::vector<std::size_t>{1}));
  r.group = "dsn";
  try {
    select_groups(r, names);
    FAIL() << "no error";
  } catch (const RequestError& e) {
    EXPECT_STREQ(e.what(), "no group named \"dsn\" (groups: dns, ntp)");
  }
  try {
    select_groups(r, {});
    FAIL() << "no error";
  } catch (const RequestError& e) {
    EXPECT_STREQ(e.what(), "no group named \"dsn\" (no groups configured)");
  }
}

TEST(Protocol, Replies) {
  EXPECT_EQ(reply_line(ok_reply()), "{\"ok\":true}\n");
  EXPECT_EQ(reply_line(ok_reply("dns: drained")), "{\"message\":\"dns: drained\",\"ok\":true}\n");
  EXPECT_EQ(reply_line(error_reply("no")), "{\"error\":\"no\",\"ok\":false}\n");
  // A check's output may be anything; the reply still goes out.
  auto line = reply_line(ok_reply("bad \xff byte"));
  EXPECT_EQ(line, "{\"message\":\"bad \xEF\xBF\xBD byte\",\"ok\":true}\n");
}

}  // namespace
}  // namespace anycastd::ctl
