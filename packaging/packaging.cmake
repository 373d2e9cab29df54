# The release: `cmake --build build --target package` makes, in build/,
#   flexilib-VERSION-linux-x86_64.tar.gz  the server, flexilib.h, the example handlers
#                                          (built and as source), README.md, proxy.ini
#   flexilib_VERSION_amd64.deb            the same tree under /opt/flexilib
#   SHA256SUMS                            the checksums of both
# One flat tree, so that `./flexilib` run in it serves the examples at once.
install(TARGETS flexilib RUNTIME DESTINATION .)
install(TARGETS flexilib-example flexilib-json-example flexilib-lambda-example
        LIBRARY DESTINATION examples)
install(FILES executors/example.c executors/json_example.cpp executors/lambda_example.c
        DESTINATION examples)
install(FILES executors/flexilib.h README.md packaging/proxy.ini DESTINATION .)

set(CPACK_PACKAGE_NAME flexilib)
set(CPACK_PACKAGE_VENDOR "flexilib")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Small web server that answers HTTP requests by calling handler libraries")
set(CPACK_PACKAGE_FILE_NAME flexilib-${PROJECT_VERSION}-linux-x86_64)
set(CPACK_GENERATOR TGZ DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/packaging/per-generator.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "flexilib developers")
set(CPACK_DEBIAN_PACKAGE_SECTION web)
# The server needs glibc, and the libgcc_s it opens at start (portable/system_unwinder.cpp).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.31), libgcc-s1")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libstdc++6")
set(CPACK_POST_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/packaging/sha256sums.cmake)
include(CPack)
