# CPack runs this after each package it makes: SHA256SUMS, in the packages' directory,
# then lists every flexilib package there, as `sha256sum --check SHA256SUMS` reads it.
list(GET CPACK_PACKAGE_FILES 0 first_package)
get_filename_component(directory ${first_package} DIRECTORY)
file(GLOB packages RELATIVE ${directory} ${directory}/flexilib-*.tar.gz ${directory}/flexilib_*.deb)
list(SORT packages)
set(sums "")
foreach(package ${packages})
  file(SHA256 ${directory}/${package} sum)
  string(APPEND sums "${sum}  ${package}\n")
endforeach()
file(WRITE ${directory}/SHA256SUMS "${sums}")
message(STATUS "checksums: ${directory}/SHA256SUMS")
