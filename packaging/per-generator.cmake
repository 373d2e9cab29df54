# CPack reads this once per generator: the .deb installs the release's tree under
# /opt/flexilib; the tarball holds it in its top directory.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_PACKAGING_INSTALL_PREFIX /opt/flexilib)
endif()
