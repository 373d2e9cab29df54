// The extent an ELF file's headers claim, compared with the bytes it has.
#include "loader/elf_extent.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <elf.h>
#include <link.h>

namespace flexilib::loader {

namespace {

// Reads a T at `offset`, or returns false when the image is too short for it. Headers
// are copied out: nothing promises they are aligned in the image.
template <typename T> bool read_at(std::string_view image, uint64_t offset, T &value) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return false;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return true;
}

std::string truncated(std::string_view image, uint64_t needed, const char *what) {
  return "truncated: " + std::to_string(image.size()) + " bytes, its " + what + " need " +
         std::to_string(needed) + " (still being written?)";
}

} // namespace

std::string elf_truncation(std::string_view image) {
  constexpr unsigned char native_class = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
  if (image.size() <= EI_CLASS || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0 ||
      static_cast<unsigned char>(image[EI_CLASS]) != native_class)
    return "";
  ElfW(Ehdr) header;
  if (!read_at(image, 0, header)) return truncated(image, sizeof header, "ELF header");

  const uint64_t program_headers_end =
      uint64_t(header.e_phoff) + uint64_t(header.e_phnum) * header.e_phentsize;
  if (program_headers_end > image.size())
    return truncated(image, program_headers_end, "program headers");
  uint64_t needed = 0;
  const char *what = "";
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    ElfW(Phdr) segment;
    if (header.e_phentsize < sizeof segment ||
        !read_at(image, header.e_phoff + uint64_t(i) * header.e_phentsize, segment))
      return ""; // malformed rather than short: dlopen's to report
    if (uint64_t end = uint64_t(segment.p_offset) + segment.p_filesz; end > needed) {
      needed = end;
      what = "segments";
    }
  }
  // Not needed by dlopen, but written last by linkers: missing, the file is not done.
  if (header.e_shoff != 0) {
    if (uint64_t end = uint64_t(header.e_shoff) + uint64_t(header.e_shnum) * header.e_shentsize;
        end > needed) {
      needed = end;
      what = "section headers";
    }
  }
  return needed > image.size() ? truncated(image, needed, what) : "";
}

} // namespace flexilib::loader
