// The server process's memory as the kernel counts it, for /stats and /metrics:
// resident (RSS, shared library pages included) and private (Pss_Anon: the
// anonymous memory only this process pays for, heap and arenas).
#pragma once

#include <cstdint>
#include <string_view>

namespace flexilib::admin {

struct ProcessMemory {
  uint64_t resident_bytes = 0;
  uint64_t private_bytes = 0;
};

// Reads the "Rss:" and "Pss_Anon:" lines (in kB) of /proc/<pid>/smaps_rollup text.
// A line that is missing leaves its figure 0.
ProcessMemory parse_smaps_rollup(std::string_view text);

// This process's figures; zeros when /proc/self/smaps_rollup cannot be read.
ProcessMemory read_process_memory();

} // namespace flexilib::admin
