// SPDX-License-Identifier: Apache-2.0
#pragma once

// The kernel's link notifications (RTNLGRP_LINK): an interface created, deleted, renamed or
// changed. The datapath only needs to know that something changed, then looks at the interfaces
// it cares about by name: that also covers the notifications a full socket buffer lost.

struct mnl_socket;

namespace anycastd {

class LinkEvents {
 public:
  LinkEvents();  // throws std::runtime_error
  ~LinkEvents();
  LinkEvents(const LinkEvents&) = delete;
  LinkEvents& operator=(const LinkEvents&) = delete;

  int fd() const;
  // Reads every pending notification without blocking; true when there was any (or some were
  // lost to a full buffer).
  bool drain();

 private:
  mnl_socket* socket_;
};

}  // namespace anycastd
