// SPDX-License-Identifier: Apache-2.0
// The control socket over real sockets in a temporary directory: requests and replies, the
// mistakes a client can make, clients that misbehave, and the socket file's life.
#include "ctl/control_server.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "ctl/client.h"
#include "ctl_test_util.h"

namespace anycastd::ctl {
namespace {

using namespace ctl_test;
using nlohmann::json;

// What the handler was asked, kept under a lock: it runs on the serve thread.
struct Seen {
  std::mutex mutex;
  std::vector<Request> requests;

  void add(const Request& r) {
    std::lock_guard lock(mutex);
    requests.push_back(r);
  }
  std::vector<Request> all() {
    std::lock_guard lock(mutex);
    return requests;
  }
};

// A daemon in miniature: two groups, drain/undrain/check by name or "all", a status.
json small_daemon(const Request& r, Seen& seen) {
  seen.add(r);
  static const std::vector<std::string> groups{"dns", "ntp"};
  switch (r.command) {
    case Command::status: return json{{"ok", true}, {"status", {{"groups", json::array({{{"name", "dns"}}})}}}};
    case Command::drain: {
      auto picked = select_groups(r, groups);
      auto reply = ok_reply(r.all_groups() ? "all groups: drained" : r.group + ": drained");
      reply["groups"] = picked.size();
      return reply;
    }
    case Command::reload: throw std::runtime_error("/etc/anycastd/anycastd.toml:3: unknown key \"x\"");
    default: return ok_reply();
  }
}

json parse(const std::string& line) { return json::parse(line); }

struct Fixture : ::testing::Test {
  TempDir dir;
  std::string path = dir / "anycastd.sock";
  Seen seen;
};

TEST_F(Fixture, StatusRoundTrip) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto reply = parse(exchange(path, request_line(Command::status), 5000ms));
  EXPECT_EQ(reply["ok"], true);
  EXPECT_EQ(reply["status"]["groups"][0]["name"], "dns");
}

TEST_F(Fixture, DrainReachesTheHandlerWithGroupAndPeer) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto reply = parse(exchange(path, request_line(Command::drain, "dns"), 5000ms));
  EXPECT_EQ(reply, (json{{"ok", true}, {"message", "dns: drained"}, {"groups", 1}}));
  reply = parse(exchange(path, request_line(Command::drain, "all"), 5000ms));
  EXPECT_EQ(reply["groups"], 2);

  auto requests = seen.all();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].command, Command::drain);
  EXPECT_EQ(requests[0].group, "dns");
  EXPECT_TRUE(requests[0].peer.has_credentials);
  EXPECT_EQ(requests[0].peer.pid, ::getpid());
  EXPECT_EQ(requests[0].peer.uid, ::geteuid());
  EXPECT_TRUE(requests[1].all_groups());
}

TEST_F(Fixture, HandlerErrorsBecomeErrorReplies) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  EXPECT_EQ(parse(exchange(path, request_line(Command::drain, "dsn"), 5000ms)),
            (json{{"ok", false}, {"error", "no group named \"dsn\" (groups: dns, ntp)"}}));
  EXPECT_EQ(parse(exchange(path, request_line(Command::reload), 5000ms)),
            (json{{"ok", false}, {"error", "/etc/anycastd/anycastd.toml:3: unknown key \"x\""}}));
  // A reply without "ok" is a success.
  EXPECT_EQ(parse(exchange(path, request_line(Command::restart), 5000ms)), (json{{"ok", true}}));
}

TEST_F(Fixture, ReplyThatIsNotAnObjectIsAnInternalError) {
  ControlServer server(path, [](const Request&) { return json::array({1, 2}); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto reply = parse(exchange(path, request_line(Command::status), 5000ms));
  EXPECT_EQ(reply["ok"], false);
  EXPECT_EQ(reply["error"], "internal error: the daemon's reply to status is not a JSON object");
}

TEST_F(Fixture, UnknownCommandAndMalformedLinesAreRefusedAndTheServerGoesOn) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });

  auto unknown = parse(exchange(path, "{\"command\":\"explode\"}\n", 5000ms));
  EXPECT_EQ(unknown["ok"], false);
  EXPECT_EQ(unknown["error"], "unknown command \"explode\" (commands: status, drain, undrain, reload, restart, check, nic, capture)");

  auto words = parse(exchange(path, "drain dns\n", 5000ms));
  EXPECT_EQ(words["ok"], false);
  EXPECT_EQ(words["error"].get<std::string>().rfind("malformed request, not JSON", 0), 0u) << words;

  auto binary = parse(exchange(path, std::string("\0\xff\x01{\n", 5), 5000ms));
  EXPECT_EQ(binary["ok"], false);

  auto no_group = parse(exchange(path, "{\"command\":\"drain\"}\n", 5000ms));
  EXPECT_EQ(no_group["error"], "drain needs a group: a group's name or \"all\"");

  EXPECT_TRUE(seen.all().empty()) << "the handler saw a request it should not have";
  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
}

TEST_F(Fixture, RequestWithoutNewlineEndsAtTheClientsShutdown) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto fd = connect_unix(path);
  send_text(fd.get(), "{\"command\":\"status\"}");
  ::shutdown(fd.get(), SHUT_WR);
  auto reply = read_all(fd.get());
  EXPECT_EQ(parse(reply)["ok"], true) << reply;
}

TEST_F(Fixture, OversizedRequestIsRefusedAndTheServerGoesOn) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });

  // 70 KiB without a newline: refused once 64 KiB are in, without waiting for the rest.
  auto fd = connect_unix(path);
  send_text(fd.get(), std::string(70 * 1024, 'x'));
  auto reply = read_all(fd.get());
  ASSERT_FALSE(reply.empty());
  EXPECT_EQ(parse(reply.substr(0, reply.find('\n'))),
            (json{{"ok", false}, {"error", "request too large: more than 65536 bytes without a newline"}}));

  // A line that ends just past the limit is as large.
  std::string line = "{\"command\":\"drain\",\"group\":\"" + std::string(65536, 'g') + "\"}\n";
  EXPECT_EQ(parse(exchange(path, line, 5000ms))["error"], "request too large: more than 65536 bytes without a newline");

  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
  EXPECT_TRUE(seen.all().size() == 1);
}

TEST_F(Fixture, SilentClientDoesNotHoldUpOthersAndIsClosedAtTheDeadline) {
  ControlServerOptions options;
  options.deadline = 400ms;
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); }, options);
  ServeThread loop(server.fd(), [&] { server.on_readable(); });

  auto started = std::chrono::steady_clock::now();
  auto silent = connect_unix(path);
  send_text(silent.get(), "{\"command\":");  // and nothing more

  // Served at once, while the silent one is still within its deadline.
  auto reply = parse(exchange(path, request_line(Command::status), 5000ms));
  EXPECT_EQ(reply["ok"], true);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 300ms);

  auto timeout = read_all(silent.get(), 3000ms);
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(parse(timeout), (json{{"ok", false}, {"error", "no whole request line within 400 ms"}}));
  EXPECT_GE(waited, 350ms);
  EXPECT_LT(waited, 2000ms);

  // And after the deadline, as before it.
  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
}

TEST_F(Fixture, ConnectionsBeyondTheLimitAreTurnedAway) {
  ControlServerOptions options;
  options.max_connections = 2;
  options.deadline = 500ms;
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); }, options);
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  auto a = connect_unix(path);
  auto b = connect_unix(path);
  std::this_thread::sleep_for(100ms);  // let the loop accept both
  auto reply = parse(exchange(path, request_line(Command::status), 5000ms));
  EXPECT_EQ(reply["error"], "busy: 2 control connections already open; try again");
  // Once they have timed out, there is room again.
  read_all(a.get(), 3000ms);
  read_all(b.get(), 3000ms);
  a.reset();
  b.reset();
  auto deadline = std::chrono::steady_clock::now() + 3s;
  json again;
  do {
    again = parse(exchange(path, request_line(Command::status), 5000ms));
  } while (again["ok"] != true && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(again["ok"], true);
}

TEST_F(Fixture, ManyRequestsLeaveNoDescriptorBehind) {
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
  std::this_thread::sleep_for(50ms);
  auto baseline = open_fds();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (open_fds() > baseline && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(open_fds(), baseline);
}

TEST_F(Fixture, SocketIsMode0600InA0700DirectoryItCreates) {
  std::string nested = dir / "run/anycastd/ctl.sock";
  ControlServer server(nested, [&](const Request& r) { return small_daemon(r, seen); });
  struct stat st {};
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((dir / "run/anycastd").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((dir / "run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(Fixture, ModeIs0600WhateverTheUmask) {
  mode_t old = ::umask(0);
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(Fixture, StaleSocketIsReplaced) {
  {
    // What a killed daemon leaves: a socket file nobody listens on.
    UniqueFd dead(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(dead.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
}

TEST_F(Fixture, LiveSocketIsLeftAlone) {
  ControlServer first(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(first.fd(), [&] { first.on_readable(); });
  try {
    ControlServer second(path, [&](const Request& r) { return small_daemon(r, seen); });
    FAIL() << "a second server started on a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "another anycastd is listening on " + path);
  }
  // The first one still has its socket, and answers.
  EXPECT_EQ(parse(exchange(path, request_line(Command::status), 5000ms))["ok"], true);
}

TEST_F(Fixture, SomethingElseAtThePathIsNotTouched) {
  { std::ofstream(path) << "precious\n"; }
  try {
    ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
    FAIL() << "started over a regular file";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "control socket " + path + ": the path exists and is not a socket; not touching it");
  }
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "precious");
}

TEST_F(Fixture, PathTooLongIsSaidSo) {
  std::string long_path = "/tmp/" + std::string(120, 'x') + ".sock";
  try {
    ControlServer server(long_path, [&](const Request& r) { return small_daemon(r, seen); });
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the path must be 1 to 107 bytes long, not 130"), std::string::npos) << e.what();
  }
}

TEST_F(Fixture, SocketFileGoesWithTheServerButOnlyItsOwn) {
  {
    ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));

  {
    ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
    // Someone removed it and put something else there meanwhile: not ours to remove.
    std::filesystem::remove(path);
    std::ofstream(path) << "successor\n";
  }
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(Fixture, OtherUsersAreRefusedEvenIfTheFileLetsThemIn) {
  if (::geteuid() != 0) GTEST_FAIL() << "needs root to run a client as another user";
  ControlServer server(path, [&](const Request& r) { return small_daemon(r, seen); });
  ServeThread loop(server.fd(), [&] { server.on_readable(); });
  // Opened up on purpose, so that only the credential check stands in the way.
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  // A copy the other user can reach wherever the build directory lives.
  std::string client = (dir.path() / "anycastctl").string();
  std::filesystem::copy_file(ANYCASTCTL_PATH, client);
  ASSERT_EQ(::chmod(client.c_str(), 0755), 0);
  auto r = run_program(client, {"--socket", path, "drain", "all"}, 65534);
  ASSERT_NE(r.status, 127) << "uid 65534 could not run " << client << ": " << r.err;
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(r.err, "anycastctl: permission denied: uid 65534 may not use the control socket (root only)\n");
  EXPECT_TRUE(seen.all().empty());

  // With the mode as the server sets it, the kernel already keeps them out.
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  r = run_program(client, {"--socket", path, "status"}, 65534);
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace anycastd::ctl
