// What GCC 12's static libstdc++ and libgcc ask of glibc that glibc 2.31 (the one the
// portable build links against: cmake/portable-binary.cmake) does not have. Linked
// into the portable build's programs and its C++ example handler; each stands in for
// the newer glibc's function.
#include "portable/older_glibc.hpp"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/random.h>

extern "C" {

// libstdc++ skips atomic reference counting while this says the process has one
// thread (glibc 2.32). Never set here: it always counts atomically, which is correct.
char __libc_single_threaded = 0;

// std::random_device's "arc4random" source (glibc 2.36), from the kernel's generator.
uint32_t arc4random(void) {
  uint32_t value;
  for (size_t got = 0; got < sizeof value;) {
    const ssize_t n = getrandom(reinterpret_cast<char *>(&value) + got, sizeof value - got, 0);
    if (n > 0) {
      got += size_t(n);
    } else if (errno != EINTR) {
      abort(); // arc4random cannot fail; neither may its stand-in
    }
  }
  return value;
}
}

namespace {

struct ObjectSearch {
  uintptr_t address;
  dl_find_object *found;
};

// dl_iterate_phdr's callback: 1 (stop) for the object one of whose segments holds the
// address, after filling in what the unwinder reads: its bounds and its
// PT_GNU_EH_FRAME, the table of its unwinding information.
int find_in_object(dl_phdr_info *info, size_t, void *data) {
  auto &search = *static_cast<ObjectSearch *>(data);
  bool holds = false;
  uintptr_t start = UINTPTR_MAX, end = 0, eh_frame = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &segment = info->dlpi_phdr[i];
    const uintptr_t first = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_GNU_EH_FRAME) eh_frame = first;
    if (segment.p_type != PT_LOAD) continue;
    const uintptr_t last = first + segment.p_memsz;
    holds = holds || (search.address >= first && search.address < last);
    start = first < start ? first : start;
    end = last > end ? last : end;
  }
  if (!holds) return 0;
  *search.found = {};
  search.found->dlfo_map_start = reinterpret_cast<void *>(start);
  search.found->dlfo_map_end = reinterpret_cast<void *>(end);
  search.found->dlfo_eh_frame = reinterpret_cast<void *>(eh_frame);
  return 1;
}

using FindObject = int (*)(void *, dl_find_object *);

} // namespace

int flexilib::portable::find_object_by_program_headers(void *address, dl_find_object *found) {
  ObjectSearch search{reinterpret_cast<uintptr_t>(address), found};
  return dl_iterate_phdr(find_in_object, &search) == 1 ? 0 : -1;
}

// The unwinder's way to the unwinding information of the code at an address (glibc
// 2.35). glibc's own where it has one (it needs no lock), else dl_iterate_phdr, which
// is how libgcc found it before glibc had this function.
extern "C" int _dl_find_object(void *address, dl_find_object *found) {
  static const auto glibcs =
      reinterpret_cast<FindObject>(dlvsym(RTLD_DEFAULT, "_dl_find_object", "GLIBC_2.35"));
  if (glibcs != nullptr) return glibcs(address, found);
  return flexilib::portable::find_object_by_program_headers(address, found);
}
