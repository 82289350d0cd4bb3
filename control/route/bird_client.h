// SPDX-License-Identifier: Apache-2.0
#pragma once

// BIRD 2's control-socket protocol, the one birdc speaks. The client connects to the unix
// socket, BIRD greets with "0001 BIRD 2.0.12 ready.", then each command line gets a reply of one
// or more lines:
//
//   CCCC-text    a line with reply code CCCC, more follow
//   CCCC text    the last line of the reply (often "0000 " with no text)
//    text        (leading space) a further line with the previous line's code
//   +text        an asynchronous message (only after `echo`), not part of the reply
//
// Codes: 0xxx done, 1xxx table rows, 2xxx table headings, 8xxx run-time errors ("8003 No
// protocols match"), 9xxx parse errors ("9001 syntax error, ..."). A reply is an error if any of
// its codes is 8000 or more.

#include <string>
#include <string_view>
#include <vector>

#include "base/posix_io.h"

namespace anycastd {

struct BirdLine {
  int code = 0;
  std::string text;
};

struct BirdReply {
  std::vector<BirdLine> lines;
  int code = 0;  // of the last line

  bool error() const;
  // The reply's non-empty lines joined with "; ", for logs and error messages.
  std::string text() const;
  // The texts of the lines carrying `code` (e.g. 1002 for the rows of `show protocols`).
  std::vector<std::string> rows(int code) const;
};

// Splits BIRD's byte stream into one reply. Pure, so the framing is tested without a BIRD.
class BirdReplyParser {
 public:
  // Consumes as much of `data` as belongs to the current reply and returns how much that was;
  // done() then says whether the reply is complete. Throws RouteSignalError on a line that is
  // not BIRD's protocol or on a reply over kMaxReplyBytes.
  std::size_t feed(std::string_view data);
  bool done() const { return done_; }
  // The finished reply; the parser is then ready for the next one.
  BirdReply take();

  static constexpr std::size_t kMaxReplyBytes = 4 << 20;

 private:
  void line(std::string_view text);

  std::string partial_;
  std::size_t bytes_ = 0;
  BirdReply reply_;
  bool done_ = false;
};

// One connection to BIRD's control socket: connect and greeting in the constructor, then any
// number of commands, all within one deadline. Throws RouteSignalError naming the socket path
// when BIRD cannot be reached, does not answer in time or speaks something else; a reply with
// an error code is returned, not thrown (the caller knows which errors matter).
class BirdSession {
 public:
  BirdSession(std::string socket_path, posix_io::Deadline deadline);

  BirdReply command(std::string_view line);
  // "BIRD 2.0.12 ready."
  const std::string& greeting() const { return greeting_; }
  const std::string& socket_path() const { return path_; }

 private:
  BirdReply read_reply(std::string_view what);

  std::string path_;
  posix_io::Deadline deadline_;
  posix_io::UniqueFd fd_;
  BirdReplyParser parser_;
  std::string pending_;  // bytes read past the end of a reply (BIRD never sends any)
  std::string greeting_;
};

}  // namespace anycastd
