// Reading /proc/self/smaps_rollup.
#include "admin/process_memory.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace flexilib::admin {

namespace {

// The value of a "Name:    1234 kB" line, in bytes.
uint64_t kilobytes_in_bytes(std::string_view value) {
  const size_t start = value.find_first_not_of(' ');
  if (start == std::string_view::npos) return 0;
  uint64_t kilobytes = 0;
  std::from_chars(value.data() + start, value.data() + value.size(), kilobytes);
  return kilobytes * 1024;
}

} // namespace

ProcessMemory parse_smaps_rollup(std::string_view text) {
  ProcessMemory memory;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.starts_with("Rss:"))
      memory.resident_bytes = kilobytes_in_bytes(line.substr(4));
    else if (line.starts_with("Pss_Anon:"))
      memory.private_bytes = kilobytes_in_bytes(line.substr(9));
  }
  return memory;
}

ProcessMemory read_process_memory() {
  std::ifstream file("/proc/self/smaps_rollup");
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return parse_smaps_rollup(text.str());
}

} // namespace flexilib::admin
