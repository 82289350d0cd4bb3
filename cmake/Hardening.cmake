# Hardening of every native target, in the ordinary build as in the packages: anycastd runs as
# root-equivalent (CAP_BPF, CAP_NET_ADMIN) on edge machines and parses what the network sends,
# so it gets what Debian's dpkg-buildflags gives packaged C++ (lintian checks the packages for
# these):
#   -D_FORTIFY_SOURCE=2        bounds-checked memcpy, snprintf ... where the size is known;
#                              needs the optimizer, so not in Debug builds
#   -fstack-protector-strong   a canary in every function with a local array or address taken
#   -Wl,-z,relro -Wl,-z,now    relocations resolved at start, then made read-only
# PIE is not set here: Debian's gcc and clang link position-independent executables by default
# (gcc -v: --enable-default-pie), and CMake passes nothing that turns it off.
#
# The BPF objects are compiled by their own clang -target bpf command (cmake/BpfObject.cmake)
# and get none of this. The sanitized build (cmake/Robustness.cmake) keeps the stack protector
# and relro but not _FORTIFY_SOURCE: the fortified __memcpy_chk and friends replace the calls
# AddressSanitizer intercepts, so ASan would check less.
add_compile_options(-fstack-protector-strong)
if(NOT ANYCASTD_SANITIZE)
  add_compile_definitions($<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
endif()
add_link_options(-Wl,-z,relro -Wl,-z,now)
