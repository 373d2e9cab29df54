// The stand-in for glibc 2.35's _dl_find_object (portable/older_glibc.cpp) that is
// used where glibc has none, declared for its unit test.
#pragma once

extern "C" {
// The layout of glibc 2.35's struct dl_find_object on x86-64 (its <dlfcn.h>; glibc
// 2.31's headers, which the portable build uses, have none).
struct dl_find_object {
  unsigned long long dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  struct link_map *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long dlfo_reserved[7];
};
}

namespace flexilib::portable {

// What _dl_find_object says of the loaded object holding `address`, found by walking
// the program headers (dl_iterate_phdr): its bounds and its PT_GNU_EH_FRAME. 0 when
// found, -1 when no object holds the address.
int find_object_by_program_headers(void *address, dl_find_object *found);

} // namespace flexilib::portable
