// Whether an image of a shared library holds every byte its ELF headers describe. A
// library still being written (or cut short) is shorter than its headers say, and
// dlopen maps such a file without complaint and then dies of SIGBUS touching the
// missing pages, taking the process with it; this check refuses it first.
#pragma once

#include <string>
#include <string_view>

namespace flexilib::loader {

// Empty when `image` is at least as long as its ELF header, program headers, segments
// and section headers need; else what is missing. An image that is not an ELF file of
// this machine's class is not judged here (dlopen says what is wrong with it).
std::string elf_truncation(std::string_view image);

} // namespace flexilib::loader
