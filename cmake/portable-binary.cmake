# The server as one binary that runs on any x86-64 glibc distribution from glibc 2.31
# (Debian bullseye, 2020) on, needing nothing but glibc: libstdc++ and libgcc are linked
# in (inih and cpp-httplib are static already), except libgcc's unwinder: the server
# opens the system's libgcc_s.so.1 (portable/system_unwinder.cpp), the file glibc
# itself opens to cancel threads. Everything is built against
# bullseye's glibc (scripts/glibc-sysroot.sh), because a program linked against a
# glibc asks for that glibc's symbol versions. portable/older_glibc.cpp supplies the
# three functions GCC 12's static runtime wants from newer glibcs. A C++ handler
# library still brings the system's libstdc++.so with it, as into any program.
#
# Not in sanitizer builds: their runtimes are built for this machine's glibc and
# expect the shared C++ runtime.
if(FLEXILIB_SANITIZE)
  set(portable_default OFF)
else()
  set(portable_default ON)
endif()
option(FLEXILIB_PORTABLE "build against glibc 2.31 and link the C++ runtime statically"
       ${portable_default})

if(FLEXILIB_PORTABLE)
  execute_process(COMMAND ${CMAKE_SOURCE_DIR}/scripts/glibc-sysroot.sh bullseye
                  OUTPUT_VARIABLE glibc_sysroot OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE glibc_sysroot_failed)
  if(glibc_sysroot_failed)
    message(FATAL_ERROR "could not make the glibc 2.31 sysroot (scripts/glibc-sysroot.sh)")
  endif()
  message(STATUS "portable build: against glibc 2.31 in ${glibc_sysroot}")
  # -B and -L: g++ also looks for crt files and libc in this machine's library
  # directory, outside the sysroot; these come first.
  set(glibc_libraries ${glibc_sysroot}/usr/lib/x86_64-linux-gnu)
  add_compile_options(--sysroot=${glibc_sysroot})
  # -pthread: glibc 2.31 keeps the threads functions in libpthread, which this
  # machine's glibc (and so CMake's Threads check) does not need.
  add_link_options(--sysroot=${glibc_sysroot} -B${glibc_libraries} -L${glibc_libraries}
                   -L${glibc_sysroot}/lib/x86_64-linux-gnu -pthread)
endif()

# ON: the server carries libgcc's unwinder too (libgcc_eh.a), the build that shows why
# it must not (portable/system_unwinder.cpp): an exception a C++ handler lets out then
# aborts the server, and `ctest -R "exception from"` fails.
option(FLEXILIB_STATIC_UNWINDER "portable build: link libgcc_eh's unwinder in (aborts on a C++ handler's exception)" OFF)

# Makes every program that links `library` (flexilib_core: the server and the test
# programs) carry its C++ runtime: the system's libstdc++.so wants a newer glibc than
# the one they are linked against, so no program here can link it.
function(flexilib_portable_runtime library)
  if(FLEXILIB_PORTABLE)
    target_sources(${library} INTERFACE ${CMAKE_SOURCE_DIR}/portable/older_glibc.cpp)
    # libgcc is linked in, but not its unwinder: system_unwinder.cpp defines the
    # _Unwind_* functions, forwarding to the system's libgcc_s.so.1 (opened at start),
    # so libgcc_eh.a is not linked and the server, its libstdc++ and every C++
    # handler's libstdc++.so share one unwinder, as an exception crossing from a
    # handler into the server needs.
    if(NOT FLEXILIB_STATIC_UNWINDER)
      target_sources(${library} INTERFACE ${CMAKE_SOURCE_DIR}/portable/system_unwinder.cpp)
    endif()
    target_link_options(${library} INTERFACE -static-libstdc++ -static-libgcc)
  endif()
endfunction()

# The same for a C++ handler library, whose copy of the runtime stays hidden inside it
# (its exports are the handler ABI alone; the forwarders of system_unwinder.cpp too).
function(flexilib_portable_handler target)
  if(FLEXILIB_PORTABLE)
    target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/portable/older_glibc.cpp)
    # The system's unwinder here too: an exception the handler lets out is then raised
    # by the same libgcc_s that runs the server's catch at the boundary.
    if(NOT FLEXILIB_STATIC_UNWINDER)
      target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/portable/system_unwinder.cpp)
    endif()
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR})
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS}) # dlvsym: libdl in glibc 2.31
  endif()
endfunction()
