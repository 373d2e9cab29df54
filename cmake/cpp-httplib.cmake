# cpp-httplib, compiled into the server: Debian's source package supplies upstream's
# single header with Debian's patches (scripts/fetch-httplib.sh splits it into a header
# and one .cc), built here without OpenSSL, zlib or Brotli, which the server never uses.
# The target: cpp_httplib, a static library of that one translation unit.

# "suite version sha256-of-the-.dsc": which Debian source package, checked by its .dsc.
# README ("cpp-httplib") says why this version.
set(FLEXILIB_HTTPLIB_SOURCE
    "bookworm 0.11.4+ds-1+deb12u1 a4dde747bbde7cc9fa62cdf50d61140a0eaefb7f1383497ef2d48daf3bf5f9ec"
    CACHE STRING "Debian suite, source version and .dsc SHA-256 of the cpp-httplib used")

set(httplib_dir ${CMAKE_BINARY_DIR}/_deps/cpp-httplib)
string(REPLACE " " ";" httplib_source "${FLEXILIB_HTTPLIB_SOURCE}")
list(GET httplib_source 0 httplib_suite)
list(GET httplib_source 1 httplib_version)
list(GET httplib_source 2 httplib_dsc_sha256)

set(httplib_fetched "")
if(EXISTS ${httplib_dir}/VERSION)
  file(READ ${httplib_dir}/VERSION httplib_fetched)
  string(STRIP "${httplib_fetched}" httplib_fetched)
endif()
if(NOT httplib_fetched STREQUAL "${httplib_version} ${httplib_dsc_sha256}")
  execute_process(
    COMMAND ${CMAKE_SOURCE_DIR}/scripts/fetch-httplib.sh ${httplib_dir} ${httplib_suite}
            ${httplib_version} ${httplib_dsc_sha256}
    RESULT_VARIABLE httplib_fetch_failed)
  if(httplib_fetch_failed)
    message(FATAL_ERROR "could not fetch cpp-httplib ${httplib_version} (scripts/fetch-httplib.sh)")
  endif()
endif()
message(STATUS "cpp-httplib: Debian's ${httplib_version} (${httplib_suite}), compiled in")

add_library(cpp_httplib STATIC ${httplib_dir}/httplib.cc)
# SYSTEM: its warnings are upstream's business; BEFORE: this header, not a
# /usr/include/httplib.h that libcpp-httplib-dev may have installed.
target_include_directories(cpp_httplib SYSTEM BEFORE PUBLIC ${httplib_dir})
target_compile_options(cpp_httplib PRIVATE -w)
target_link_libraries(cpp_httplib PUBLIC Threads::Threads)
# Optimised even in Debug builds, as Debian's library was: unoptimised, its byte-by-byte
# loops make the sanitizer builds' large-body tests outlast their 5 s timeouts. The
# sanitizers instrument it like the rest (uninstrumented, ThreadSanitizer would not see
# the synchronisation inside it and report races that are not there).
target_compile_options(cpp_httplib PRIVATE $<$<CONFIG:Debug>:-O2>)
