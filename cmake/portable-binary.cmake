# The server as one binary that runs on any x86-64 glibc distribution from glibc 2.31
# (Debian bullseye, 2020) on, needing nothing else but libgcc_s: libstdc++ is linked in
# (inih and cpp-httplib are static already), and everything is built against
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

# Makes every program that links `library` (flexilib_core: the server and the test
# programs) carry its C++ runtime: the system's libstdc++.so wants a newer glibc than
# the one they are linked against, so no program here can link it.
function(flexilib_portable_runtime library)
  if(FLEXILIB_PORTABLE)
    target_sources(${library} INTERFACE ${CMAKE_SOURCE_DIR}/portable/older_glibc.cpp)
    # libgcc_s stays shared: one unwinder for the server and every C++ handler, so an
    # exception a handler lets out is caught at the boundary (with a static copy the
    # server aborts: test_exception_boundary.cpp). It is on every glibc system (glibc
    # loads it itself for thread cancellation). This machine's copy names
    # _dl_find_object@GLIBC_2.35, which the 2.31 sysroot lacks; where the server
    # runs, that system's own libgcc_s is used.
    target_link_options(${library} INTERFACE -static-libstdc++ -Wl,--allow-shlib-undefined)
  endif()
endfunction()

# The same for a C++ handler library, whose copy of the runtime stays hidden inside it
# (its exports are the handler ABI alone).
function(flexilib_portable_handler target)
  if(FLEXILIB_PORTABLE)
    target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/portable/older_glibc.cpp)
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR})
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
    target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS}) # dlvsym: libdl in glibc 2.31
  endif()
endfunction()
