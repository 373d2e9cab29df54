// Unit tests of the truncation check run on every library image before dlopen: a
// library cut short anywhere (as one still being written is) is refused, a whole one
// and files that are not this machine's ELF are left to dlopen.
#include "loader/elf_extent.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <link.h>

using namespace flexilib::loader;

namespace {

std::string read_library(const std::string &name) {
  std::ifstream in(std::string(FLEXILIB_BUILD_DIR) + "/test/libraries/lib" + name + ".so",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("a whole library is not truncated", "[elf]") {
  const std::string library = read_library("counter");
  REQUIRE(library.size() > 4096);
  CHECK(elf_truncation(library).empty());
}

TEST_CASE("a library cut short anywhere is truncated", "[elf]") {
  const std::string library = read_library("counter");
  REQUIRE(library.size() > 4096);
  for (size_t length : {size_t(5), sizeof(ElfW(Ehdr)) - 1, sizeof(ElfW(Ehdr)) + 1, size_t(4096),
                        library.size() / 2, library.size() - 1}) {
    INFO(length << " of " << library.size() << " bytes");
    const std::string problem = elf_truncation(std::string_view(library).substr(0, length));
    CHECK(problem.find("truncated: " + std::to_string(length) + " bytes") == 0);
  }
}

TEST_CASE("files that are not this machine's ELF are left to dlopen", "[elf]") {
  CHECK(elf_truncation("").empty());
  CHECK(elf_truncation("#!/bin/sh\necho not a library\n").empty());
  std::string other_class = read_library("counter").substr(0, 100);
  other_class[EI_CLASS] = sizeof(void *) == 8 ? ELFCLASS32 : ELFCLASS64;
  CHECK(elf_truncation(other_class).empty());
}

TEST_CASE("headers that point past the end are truncation", "[elf]") {
  ElfW(Ehdr) header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
  header.e_phoff = sizeof header;
  header.e_phentsize = sizeof(ElfW(Phdr));
  header.e_phnum = 1;
  ElfW(Phdr) segment{};
  segment.p_type = PT_LOAD;
  segment.p_offset = 0;
  segment.p_filesz = 1 << 20;
  std::string image(reinterpret_cast<const char *>(&header), sizeof header);
  image.append(reinterpret_cast<const char *>(&segment), sizeof segment);
  CHECK(elf_truncation(image).find("its segments need 1048576") != std::string::npos);
  segment.p_filesz = image.size();
  image.replace(sizeof header, sizeof segment, reinterpret_cast<const char *>(&segment),
                sizeof segment);
  CHECK(elf_truncation(image).empty());
  header.e_phnum = 2; // the second program header would lie past the end
  image.replace(0, sizeof header, reinterpret_cast<const char *>(&header), sizeof header);
  CHECK(elf_truncation(image).find("its program headers need") != std::string::npos);
}
