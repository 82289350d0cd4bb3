// SPDX-License-Identifier: Apache-2.0
#pragma once

// ExaBGP 4.2's command channel: the named-pipe pair BASE.in / BASE.out. ExaBGP does not create
// them; when both exist as FIFOs at its start (in /run/exabgp/, /run/, /var/run/exabgp/ ...
// or under --root, named by exabgp.api.pipename, default "exabgp"), it runs an internal helper
// that holds BASE.in open for reading, feeds every line written there to ExaBGP's API as if a
// `process` had written it, and writes ExaBGP's answers to BASE.out, opening it afresh for each
// line and keeping the line if nobody is reading. Debian's exabgp.service makes the pair
// /run/exabgp/exabgp.{in,out} before it starts ExaBGP.
//
// With exabgp.api.ack true (the default, and required here) every command is answered "done"
// or "error" (or "shutdown"), after any output. The answers do not come in command order:
// `version` is answered at once, route changes and `show adj-rib` after ExaBGP's scheduler ran
// them. So an exchange counts answers rather than pairing them, and starts with `version`
// whose output line ("exabgp 4.2.21") is a fence: anything before it is a left-over answer of
// an earlier exchange that timed out (ExaBGP keeps unread answers and hands them to the next
// reader) and is discarded.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/posix_io.h"

namespace anycastd {

struct ExabgpAnswer {
  std::string verdict;              // "done", "error" or "shutdown"
  std::vector<std::string> output;  // lines ExaBGP wrote before the verdict
  bool ok() const { return verdict == "done"; }
};

struct ExabgpExchange {
  std::string version;               // "exabgp 4.2.21"
  std::vector<ExabgpAnswer> answers;  // in arrival order, one per command
  std::size_t stale_lines = 0;       // discarded before the fence
};

// Reads ExaBGP's answer stream for one exchange. Pure, so that the fence and the counting are
// tested without ExaBGP.
class ExabgpAnswerReader {
 public:
  explicit ExabgpAnswerReader(std::size_t commands) : expected_(commands) {}
  void feed(std::string_view data);
  bool complete() const { return fenced_ && result_.answers.size() >= expected_; }
  bool saw_version() const { return !result_.version.empty(); }
  bool fenced() const { return fenced_; }
  ExabgpExchange& result() { return result_; }

 private:
  void line(std::string_view text);

  std::size_t expected_;
  std::string partial_;
  bool fenced_ = false;
  ExabgpAnswer current_;
  ExabgpExchange result_;
};

class ExabgpPipe {
 public:
  // `base` without the suffixes: "/run/exabgp/exabgp".
  explicit ExabgpPipe(std::string base);

  // Sends `version` and then `commands` in one write, and waits for every answer. Throws
  // RouteSignalError naming the pipe (missing, not a FIFO, ExaBGP not running, no answer in
  // time). The answers' verdicts are the caller's to judge.
  ExabgpExchange exchange(const std::vector<std::string>& commands, std::chrono::milliseconds timeout);

  const std::string& base() const { return base_; }
  std::string in_path() const { return base_ + ".in"; }
  std::string out_path() const { return base_ + ".out"; }

 private:
  std::string base_;
};

}  // namespace anycastd
