// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the kernel says of a loaded program: how anycastd knows its own program (by name and the
// maps it shares) wherever it finds one, on an interface, in a prog array or a dispatcher.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anycastd {

// The name the kernel keeps for bpf/anycast_xdp.c's program (BPF_OBJ_NAME_LEN limits it to 15).
inline constexpr std::string_view kOurProgramName = "anycast_xdp";

// "" when the kernel does not say.
std::string program_name(int prog_fd);
// Throws std::runtime_error.
std::uint32_t program_id(int prog_fd);
// The ids of every map the program uses. False with errno set when the kernel refuses.
bool program_map_ids(int prog_fd, std::vector<std::uint32_t>& ids);

}  // namespace anycastd
