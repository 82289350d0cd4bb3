# Compiles a BPF C program with clang -target bpf and generates its libbpf skeleton with bpftool.
#   ac_bpf_object(NAME SOURCE)
# gives the interface target NAME_skel: link it to include "NAME.skel.h" (the object is embedded
# in the skeleton, so nothing needs to be found at run time). ${NAME}_OBJECT holds the object's path.

find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)
execute_process(COMMAND gcc -print-multiarch OUTPUT_VARIABLE AC_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)

function(ac_bpf_object name source)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -O2 -g -target bpf -Wall -Werror
            -I${CMAKE_SOURCE_DIR}/dataplane/core -I/usr/include/${AC_MULTIARCH}
            -MD -MF ${obj}.d
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
    DEPENDS ${source}
    DEPFILE ${obj}.d
    COMMENT "BPF ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF ac_core)
  set(${name}_OBJECT ${obj} PARENT_SCOPE)
endfunction()
