// Unit tests of the portable build's stand-in for glibc 2.35's _dl_find_object, which
// the C++ runtime's unwinder relies on to throw an exception where glibc is older:
// it must find what glibc's own finds (compared here, where glibc has one).
#include "portable/older_glibc.hpp"

#include <catch2/catch.hpp>
#include <dlfcn.h>
#include <unistd.h>

namespace {

using FindObject = int (*)(void *, dl_find_object *);

int function_in_this_program() {
  return 1;
}

} // namespace

TEST_CASE("the _dl_find_object stand-in finds what glibc's finds", "[portable]") {
  const auto glibcs =
      reinterpret_cast<FindObject>(dlvsym(RTLD_DEFAULT, "_dl_find_object", "GLIBC_2.35"));
  if (glibcs == nullptr) {
    WARN("this glibc has no _dl_find_object to compare with");
    return;
  }
  void *const addresses[] = {reinterpret_cast<void *>(&function_in_this_program),
                             reinterpret_cast<void *>(&::getpid),  // in libc
                             reinterpret_cast<void *>(&::dlvsym)}; // in libdl or libc
  for (void *address : addresses) {
    dl_find_object expected{}, found{};
    REQUIRE(glibcs(address, &expected) == 0);
    REQUIRE(flexilib::portable::find_object_by_program_headers(address, &found) == 0);
    // The unwinder reads the unwinding table; the bounds must hold the address.
    CHECK(found.dlfo_eh_frame == expected.dlfo_eh_frame);
    CHECK(found.dlfo_eh_frame != nullptr);
    CHECK(found.dlfo_map_start <= address);
    CHECK(address < found.dlfo_map_end);
  }
}

TEST_CASE("the _dl_find_object stand-in finds nothing where nothing is loaded", "[portable]") {
  dl_find_object found{};
  CHECK(flexilib::portable::find_object_by_program_headers(reinterpret_cast<void *>(16), &found) ==
        -1);
}
