# Builds one Zig handler library (cmake/handler_toolchains.cmake's zig_library) through
# a cache keyed by what makes the library: the compiler's version, its arguments and the
# contents of every source. Zig 0.11's build-lib compiles anew at every call (its own
# cache does not keep the finished library), and each build directory (Release, and the
# sanitizer builds whose tests load the same unsanitized library) would pay for it again.
#   cmake -DZIG=... -DCACHE=dir -DOUTPUT=lib.so -DROOT=root.zig -DINTERFACE=flexilib.zig
#         -DSOURCES="a.zig|b.zig" -P zig-build.cmake
string(REPLACE "|" ";" SOURCES "${SOURCES}")
execute_process(COMMAND ${ZIG} version OUTPUT_VARIABLE zig_version
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
set(arguments build-lib -dynamic -lc -O ReleaseSafe --mod flexilib::${INTERFACE} --deps flexilib
              ${ROOT})
set(key "${zig_version}\n${arguments}\n")
foreach(source ${INTERFACE} ${ROOT} ${SOURCES})
  file(SHA256 ${source} digest)
  string(APPEND key "${source} ${digest}\n")
endforeach()
string(SHA256 key "${key}")
get_filename_component(name ${OUTPUT} NAME)
set(cached ${CACHE}/zig-out/${key}/${name})

if(NOT EXISTS ${cached})
  # Built beside the cached name and renamed into it: an interrupted build leaves no
  # half-written library to be taken later.
  set(partial ${CACHE}/zig-out/${key}.part/${name})
  file(REMOVE_RECURSE ${CACHE}/zig-out/${key}.part)
  file(MAKE_DIRECTORY ${CACHE}/zig-out/${key}.part)
  execute_process(COMMAND ${ZIG} ${arguments} --cache-dir ${CACHE}/zig -femit-bin=${partial}
                  COMMAND_ERROR_IS_FATAL ANY)
  file(MAKE_DIRECTORY ${CACHE}/zig-out/${key})
  file(RENAME ${partial} ${cached})
  file(REMOVE_RECURSE ${CACHE}/zig-out/${key}.part)
endif()
file(COPY_FILE ${cached} ${OUTPUT})
