# The control plane's rooms (docs/layering.md): one folder of control/, one library, and an
# include root that holds that folder's headers only, under the folder's name
# ("health/checks.h"). A room sees another room's headers only by linking its library, so the
# layering is the link graph, and an include across it is refused by the compiler
# (tests/layering checks each edge of the table both ways).
#
#   ac_room(NAME [FOLDER dir] [SOURCES f.cpp ...] [PUBLIC lib ...] [PRIVATE lib ...])
#
# FOLDER (default NAME) is relative to control/, SOURCES to FOLDER. PUBLIC: what the room's
# headers include (its users see it too); PRIVATE: what only its sources include. A room
# without sources is an INTERFACE library. Several rooms may share a folder (ctl: the client
# half anycastctl links, and the server half).
function(ac_room name)
  cmake_parse_arguments(PARSE_ARGV 1 R "" "FOLDER" "SOURCES;PUBLIC;PRIVATE")
  if(NOT R_FOLDER)
    set(R_FOLDER ${name})
  endif()
  set(dir ${PROJECT_SOURCE_DIR}/control/${R_FOLDER})
  set(root ${PROJECT_BINARY_DIR}/rooms/${name})
  # Symbolic links, not copies: compiler messages and debuggers lead back to the sources. The
  # glob re-runs at build time, so a new header shows up in its room without a manual reconfigure.
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/${R_FOLDER})
  file(GLOB headers CONFIGURE_DEPENDS ${dir}/*.h)
  foreach(header IN LISTS headers)
    cmake_path(GET header FILENAME file)
    file(CREATE_LINK ${header} ${root}/${R_FOLDER}/${file} SYMBOLIC)
  endforeach()

  if(R_SOURCES)
    list(TRANSFORM R_SOURCES PREPEND ${dir}/)
    add_library(ac_${name} STATIC ${R_SOURCES})
    target_include_directories(ac_${name} PUBLIC ${root})
    target_link_libraries(ac_${name} PUBLIC ${R_PUBLIC} PRIVATE ${R_PRIVATE})
  else()
    if(R_PRIVATE)
      message(FATAL_ERROR "room ${name}: a room without sources has no PRIVATE dependencies")
    endif()
    add_library(ac_${name} INTERFACE)
    target_include_directories(ac_${name} INTERFACE ${root})
    target_link_libraries(ac_${name} INTERFACE ${R_PUBLIC})
  endif()
  set_target_properties(ac_${name} PROPERTIES
    AC_ROOM_FOLDER ${R_FOLDER}
    AC_ROOM_ROOT ${root}
    AC_ROOM_LINKS "${R_PUBLIC};${R_PRIVATE}")
  list(TRANSFORM headers REPLACE "^.*/" "")
  set_target_properties(ac_${name} PROPERTIES AC_ROOM_HEADERS "${headers}")
  set_property(GLOBAL APPEND PROPERTY AC_ROOMS ${name})
endfunction()
