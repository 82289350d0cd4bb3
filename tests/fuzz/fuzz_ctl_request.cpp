// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the control socket's request parser on any line. It must return a Request or
// throw RequestError; anything else (another exception, a crash, UB) is a finding. What the
// server does next with a request is exercised too: choosing the groups it names, and sending the
// error reply that quotes the client's text back (which must survive invalid UTF-8). A request it
// accepts must come out of request_line unchanged, as anycastctl would send it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/protocol.h"

using namespace anycastd::ctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  static const std::vector<std::string> groups = {"default", "dns", "ntp"};
  try {
    Request request = parse_request(line);
    Request again = parse_request(request_line(request.command, request.group, request.soft));
    if (again.command != request.command || again.group != request.group) {
      std::fprintf(stderr, "fuzz_ctl_request: request_line does not round-trip\n");
      std::abort();
    }
    if (takes_group(request.command)) {
      try {
        (void)select_groups(request, groups);
      } catch (const RequestError& e) {
        (void)reply_line(error_reply(e.what()));
      }
    }
    (void)reply_line(ok_reply(request.group));
  } catch (const RequestError& e) {
    (void)reply_line(error_reply(e.what()));
  }
  return 0;
}
