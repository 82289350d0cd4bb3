// SPDX-License-Identifier: Apache-2.0
// State-change hooks (control/hooks, docs/hooks.md) with real processes: the environment a hook
// gets, its exit status counted, its output bounded, its whole process group killed past the
// timeout, changes queued and coalesced behind a run; and [[hook]]'s configuration errors.
#include "hooks/hook_process.h"
#include "hooks/hook_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "health/group_machine.h"

namespace anycastd {
namespace {

// A directory of its own per test, removed at the end.
class HooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/anycastd-hooks-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // An executable /bin/sh script at dir/name.
  std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), mode);
    return path;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

HookConfig hook(const std::string& path, Millis timeout = Millis(5000), std::vector<std::string> groups = {}) {
  HookConfig h;
  h.command = {path};
  h.timeout = timeout;
  h.groups = std::move(groups);
  return h;
}

// Whether `pid` is still a process that runs (a zombie, or no process at all, is not).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// Orphans are reaped by init in its own time: wait for it (no duration is asserted; ctest's
// timeout bounds a process that never goes).
bool gone(pid_t pid) {
  while (alive(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return true;
}

TEST_F(HooksTest, EnvironmentNamesGroupStatesAndTime) {
  std::string path = script("env.sh", "env > " + dir_ + "/env.txt\n");
  HookRunner runner("web", {hook(path)});
  auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  runner.changed("ready", "up", at);
  runner.finish();
  std::string env = read("env.txt");
  EXPECT_NE(env.find("ANYCASTD_GROUP=web\n"), std::string::npos) << env;
  EXPECT_NE(env.find("ANYCASTD_OLD_STATE=ready\n"), std::string::npos) << env;
  EXPECT_NE(env.find("ANYCASTD_NEW_STATE=up\n"), std::string::npos) << env;
  EXPECT_NE(env.find("ANYCASTD_TIME=2023-11-14T22:13:20.123Z\n"), std::string::npos) << env;
  EXPECT_NE(env.find("ANYCASTD_CHANGES=1\n"), std::string::npos) << env;
  GroupHooksStatus s = runner.status();
  ASSERT_EQ(s.hooks.size(), 1u);
  EXPECT_EQ(s.hooks[0].runs, 1u);
  EXPECT_EQ(s.hooks[0].failures, 0u);
  EXPECT_EQ(s.hooks[0].last_result, "exit 0");
}

TEST_F(HooksTest, StdinIsDevNullAndNoDaemonDescriptorLeaks) {
  int leak = open("/dev/null", O_RDONLY);  // not CLOEXEC: closefrom must still keep it out
  ASSERT_GE(leak, 3);
  std::string path = script("fds.sh", "ls /proc/self/fd; readlink /proc/self/fd/0\n");
  HookOutcome out = run_hook({path}, {}, Millis(5000), 4096);
  close(leak);
  EXPECT_TRUE(out.ok()) << out.describe(Millis(5000));
  // ls's own directory descriptor is 3; 0, 1 and 2 are the hook's; nothing above.
  EXPECT_EQ(out.output, "0\n1\n2\n3\n/dev/null\n");
}

TEST_F(HooksTest, NonZeroExitIsCountedAndOutputKept) {
  std::string path = script("fail.sh", "echo \"cannot page: $ANYCASTD_NEW_STATE\"; echo oops >&2; exit 3\n");
  HookRunner runner("web", {hook(path)});
  runner.changed("up", "draining", std::chrono::system_clock::now());
  runner.changed("draining", "down", std::chrono::system_clock::now());
  runner.finish();
  GroupHooksStatus s = runner.status();
  ASSERT_EQ(s.hooks.size(), 1u);
  EXPECT_EQ(s.hooks[0].runs, 2u);
  EXPECT_EQ(s.hooks[0].failures, 2u);
  EXPECT_EQ(s.hooks[0].timeouts, 0u);
  EXPECT_FALSE(s.hooks[0].last_ok);
  EXPECT_EQ(s.hooks[0].last_result, "exit 3");
  EXPECT_EQ(s.hooks[0].last_output, "cannot page: down\noops\n");
  EXPECT_EQ(s.hooks[0].last_change.old_state, "draining");
}

TEST_F(HooksTest, HugeOutputIsBounded) {
  std::string path = script("loud.sh", "head -c 1000000 /dev/zero | tr '\\0' x; echo done >&2\n");
  HookOutcome out = run_hook({path}, {}, Millis(10000), 4096);
  EXPECT_TRUE(out.ok()) << out.describe(Millis(10000));
  EXPECT_EQ(out.output, std::string(4096, 'x'));
  EXPECT_EQ(out.dropped, 1000000u + 5u - 4096u);
}

TEST_F(HooksTest, OutputOutsidePrintableAsciiIsMaskedInStatus) {
  std::string path = script("bytes.sh", "printf 'a\\001b\\303\\251c\\n'\n");
  HookRunner runner("web", {hook(path)});
  runner.changed("down", "ready", std::chrono::system_clock::now());
  runner.finish();
  EXPECT_EQ(runner.status().hooks.at(0).last_output, "a?b??c\n");
}

TEST_F(HooksTest, TimeoutKillsTheWholeProcessGroup) {
  // The hook ignores SIGTERM, and so does the child it leaves behind: only SIGKILL to the
  // group takes both.
  std::string path = script("hang.sh", "trap '' TERM\n(trap '' TERM; echo $$ > /dev/null; exec sleep 300) &\n"
                                       "echo $! > " + dir_ + "/child.pid\necho $$ > " + dir_ + "/self.pid\n"
                                       "while :; do sleep 1; done\n");
  HookOutcome out = run_hook({path}, {}, Millis(300), 4096);
  EXPECT_EQ(out.end, HookOutcome::End::timed_out);
  EXPECT_EQ(out.describe(Millis(300)), "timed out after 300 ms: process group killed");
  pid_t child = std::stoi(read("child.pid"));
  pid_t self = std::stoi(read("self.pid"));
  EXPECT_TRUE(gone(self));
  EXPECT_TRUE(gone(child));
  EXPECT_FALSE(alive(child));
}

TEST_F(HooksTest, TimeoutIsCountedAsFailure) {
  std::string path = script("slow.sh", "sleep 300\n");
  HookRunner runner("web", {hook(path, Millis(200))});
  runner.changed("up", "draining", std::chrono::system_clock::now());
  runner.finish();
  GroupHooksStatus s = runner.status();
  EXPECT_EQ(s.hooks.at(0).runs, 1u);
  EXPECT_EQ(s.hooks.at(0).failures, 1u);
  EXPECT_EQ(s.hooks.at(0).timeouts, 1u);
}

TEST_F(HooksTest, BackgroundChildrenDoNotOutliveTheHook) {
  std::string path = script("bg.sh", "sleep 300 &\necho $! > " + dir_ + "/bg.pid\nexit 0\n");
  HookOutcome out = run_hook({path}, {}, Millis(5000), 4096);
  EXPECT_TRUE(out.ok());
  EXPECT_TRUE(gone(std::stoi(read("bg.pid"))));
}

TEST_F(HooksTest, ProgramThatCannotStartIsAFailureNotACrash) {
  std::string path = script("noexec.sh", "exit 0\n", 0644);
  HookRunner runner("web", {hook(path)});
  runner.changed("down", "ready", std::chrono::system_clock::now());
  runner.finish();
  GroupHooksStatus s = runner.status();
  EXPECT_EQ(s.hooks.at(0).failures, 1u);
  EXPECT_EQ(s.hooks.at(0).last_result, "not started: Permission denied");
}

TEST_F(HooksTest, OnlyTheHooksNamingTheGroupRun) {
  std::string mine = script("mine.sh", "touch " + dir_ + "/mine\n");
  std::string other = script("other.sh", "touch " + dir_ + "/other\n");
  HookRunner runner("web", {hook(mine, Millis(5000), {"web"}), hook(other, Millis(5000), {"dns"})});
  runner.changed("down", "ready", std::chrono::system_clock::now());
  runner.finish();
  EXPECT_EQ(runner.status().hooks.size(), 1u);
  EXPECT_EQ(access((dir_ + "/mine").c_str(), F_OK), 0);
  EXPECT_NE(access((dir_ + "/other").c_str(), F_OK), 0);
}

TEST_F(HooksTest, StatesFilterRunsOnlyOnTheNamedNewStates) {
  std::string path = script("log.sh", "echo \"$ANYCASTD_OLD_STATE $ANYCASTD_NEW_STATE\" >> " + dir_ + "/log\n");
  HookConfig h = hook(path);
  h.states = {"draining", "down"};
  HookRunner runner("web", {h});
  auto now = std::chrono::system_clock::now();
  const char* states[] = {"down", "ready", "up", "degraded", "draining", "down"};
  for (int i = 0; i + 1 < 6; ++i) {  // one at a time: none coalesced
    runner.changed(states[i], states[i + 1], now);
    while (!runner.idle()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.finish();
  EXPECT_EQ(read("log"),
            "degraded draining\n"
            "draining down\n");
  EXPECT_EQ(runner.status().hooks.at(0).runs, 2u);
}

TEST_F(HooksTest, CoalescedChangeRunsAFilteredHookForAStatePassedThrough) {
  // Queued behind a blocked run, `up -> draining -> down -> ready` is coalesced into one change
  // that ends in ready: a hook on `down` still runs for it, told the whole span.
  std::string fifo = dir_ + "/gate";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string gate = script("gate.sh", "[ -e " + dir_ + "/opened ] && exit 0\ntouch " + dir_ + "/opened\nread x < " +
                                           fifo + "\n");
  std::string path = script("log.sh", "echo \"$ANYCASTD_OLD_STATE $ANYCASTD_NEW_STATE $ANYCASTD_CHANGES\" >> " +
                                          dir_ + "/log\n");
  HookConfig first = hook(gate, Millis(60000));
  first.states = {"ready"};
  HookConfig on_down = hook(path);
  on_down.states = {"down"};
  HookRunner runner("web", {first, on_down});
  auto now = std::chrono::system_clock::now();
  runner.changed("down", "ready", now);
  while (!runner.status().hooks.at(0).running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const char* states[] = {"ready", "up", "degraded", "up", "draining", "down", "ready"};
  for (int i = 0; i + 1 < 7; ++i) runner.changed(states[i], states[i + 1], now);
  EXPECT_EQ(runner.status().coalesced, 2u);
  std::ofstream(fifo) << "go\n";
  runner.finish();
  // Queued: ready->up, up->degraded, degraded->up, then up->draining having absorbed
  // draining->down and down->ready.
  EXPECT_EQ(read("log"), "up ready 3\n");
  GroupHooksStatus s = runner.status();
  EXPECT_EQ(s.hooks.at(0).runs, 2u);  // the gate, on ready: the first change and the coalesced one
  EXPECT_EQ(s.hooks.at(1).runs, 1u);
}

TEST_F(HooksTest, HookStateNamesAreTheGroupMachines) {
  std::vector<std::string_view> machine;
  for (GroupState s : {GroupState::down, GroupState::ready, GroupState::up, GroupState::degraded, GroupState::draining})
    machine.push_back(to_string(s));
  EXPECT_EQ(machine, std::vector<std::string_view>(std::begin(kHookStateNames), std::end(kHookStateNames)));
}

TEST_F(HooksTest, ChangesDuringARunQueueThenCoalesce) {
  // The first run blocks on a FIFO until the test opens it; the changes meanwhile queue.
  std::string fifo = dir_ + "/gate";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string path = script("gate.sh", "[ \"$ANYCASTD_NEW_STATE\" = ready ] && read x < " + fifo +
                                           "\necho \"$ANYCASTD_OLD_STATE $ANYCASTD_NEW_STATE $ANYCASTD_CHANGES\" >> " +
                                           dir_ + "/log\nexit 0\n");
  HookRunner runner("web", {hook(path, Millis(60000))});
  auto now = std::chrono::system_clock::now();
  runner.changed("down", "ready", now);
  while (!runner.status().hooks.at(0).running) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const char* states[] = {"ready", "up", "draining", "down", "ready", "up", "draining"};
  for (int i = 0; i + 1 < 7; ++i) runner.changed(states[i], states[i + 1], now);
  GroupHooksStatus s = runner.status();
  EXPECT_EQ(s.queued, kMaxQueued);
  EXPECT_EQ(s.coalesced, 6 - kMaxQueued);
  std::ofstream(fifo) << "go\n";
  runner.finish();
  EXPECT_EQ(read("log"),
            "down ready 1\n"
            "ready up 1\n"
            "up draining 1\n"
            "draining down 1\n"
            "down draining 3\n");
  EXPECT_EQ(runner.status().hooks.at(0).runs, 5u);
}

// ---- [[hook]] in the configuration ----------------------------------------------------------

std::string config_with(const std::string& hook_text) {
  return "[datapath]\ninterface = \"eth0\"\n[services.echo]\nport = 7\n"
         "[[group]]\nname = \"web\"\naddresses = [\"192.0.2.10\"]\n" + hook_text;
}

std::string error_of(const std::string& text) {
  try {
    parse_config(text, "anycastd.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST_F(HooksTest, ConfigReadsHooks) {
  std::string path = script("ok.sh", "exit 0\n");
  Config c = parse_config(config_with("[[hook]]\ncommand = [\"" + path + "\", \"--page\"]\ntimeout_ms = 250\n"
                                      "groups = [\"web\"]\nstates = [\"draining\", \"down\"]\n"),
                          "anycastd.toml");
  ASSERT_EQ(c.hooks.size(), 1u);
  EXPECT_EQ(c.hooks[0].command, (std::vector<std::string>{path, "--page"}));
  EXPECT_EQ(c.hooks[0].timeout, Millis(250));
  EXPECT_EQ(c.hooks[0].groups, std::vector<std::string>{"web"});
  EXPECT_EQ(c.hooks[0].states, (std::vector<std::string>{"draining", "down"}));
  Config d = parse_config(config_with("[[hook]]\ncommand = [\"" + path + "\"]\n"), "anycastd.toml");
  EXPECT_EQ(d.hooks.at(0).timeout, Millis(5000));
  EXPECT_TRUE(d.hooks.at(0).groups.empty());
  EXPECT_TRUE(d.hooks.at(0).states.empty());
}

TEST_F(HooksTest, ConfigErrorsNameTheHook) {
  std::string noexec = script("noexec.sh", "exit 0\n", 0644);
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"" + dir_ + "/missing\"]\n")),
            "anycastd.toml:9: hook[0].command[0]: \"" + dir_ + "/missing\": No such file or directory");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"" + noexec + "\"]\n")),
            "anycastd.toml:9: hook[0].command[0]: \"" + noexec + "\": not executable: Permission denied");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"" + dir_ + "\"]\n")),
            "anycastd.toml:9: hook[0].command[0]: \"" + dir_ + "\": not a regular file");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"page.sh\"]\n")),
            "anycastd.toml:9: hook[0].command[0]: \"page.sh\" is not an absolute path (no PATH search, no shell: "
            "write [\"/bin/sh\", \"-c\", \"...\"] for one)");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = []\n")), "anycastd.toml:9: hook[0].command: is empty: name the program to run");
  EXPECT_EQ(error_of(config_with("[[hook]]\ntimeout_ms = 5\n")),
            "anycastd.toml:8: hook[0].command: missing (a required array: the program's absolute path, then its arguments)");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\ngroups = [\"dns\"]\n")),
            "anycastd.toml:10: hook[0].groups[0]: no group is named \"dns\"");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\nstates = [\"withdrawn\"]\n")),
            "anycastd.toml:10: hook[0].states[0]: unknown state \"withdrawn\" (a group's states: \"down\", \"ready\", "
            "\"up\", \"degraded\", \"draining\")");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\nstates = [\"down\", \"down\"]\n")),
            "anycastd.toml:10: hook[0].states[1]: \"down\" is listed twice");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\nstates = []\n")),
            "anycastd.toml:10: hook[0].states: is empty: leave the key out to run on every change");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\nstates = \"down\"\n")).find("hook[0].states"),
            std::string("anycastd.toml:10: ").size());
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\ntimeout_ms = 0\n")),
            "anycastd.toml:10: hook[0].timeout_ms: 0 is out of range (1 to 600000)");
  EXPECT_EQ(error_of(config_with("[[hook]]\ncommand = [\"/bin/true\"]\nstate = \"up\"\n")).find("hook[0].state: unknown key"),
            std::string("anycastd.toml:10: ").size());
}

}  // namespace
}  // namespace anycastd
