// SPDX-License-Identifier: Apache-2.0
#pragma once

// Each test runs in a network namespace of its own, made with unshare(CLONE_NEWNET) in the test
// process (ctest runs every test in its own process): the host's lo and interfaces are never
// touched, and everything made inside disappears with the namespace.

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace anycastd::testing_support {

inline ino_t netns_inode() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

// Runs a shell command (children inherit the private namespace); its stdout.
inline std::string sh(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), p)) out.append(buffer.data(), n);
  int rc = pclose(p);
  if (status) *status = rc;
  return out;
}

class PrivateNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_FAIL() << "needs root: it builds a private network namespace";
    ino_t host = netns_inode();
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    ASSERT_NE(netns_inode(), host) << "still in the host's namespace; refusing to go on";
    int status = 0;
    std::string out = sh("ip link set lo up", &status);
    ASSERT_EQ(status, 0) << out;
  }
};

}  // namespace anycastd::testing_support
