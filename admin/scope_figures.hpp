// One consistent copy of a stats::Totals (the server's, a route's or a library's),
// taken once per admin request so that /stats and /metrics format plain values
// rather than atomics that serving threads keep changing underneath.
#pragma once

#include "stats/request_stats.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace flexilib::admin {

struct ScopeFigures {
  std::array<uint64_t, 6> by_status_class{}; // [0]: no status, [1..5]: 1xx..5xx
  uint64_t alloc_bytes = 0;
  uint64_t overflowed = 0; // requests whose alloc exceeded the arena
  uint64_t max_alloc_bytes = 0;
  stats::LatencyHistogram::Snapshot ttfb, ttlb;

  uint64_t requests() const;
};

ScopeFigures figures_of(const stats::Totals &totals);

// The name of ScopeFigures::by_status_class[index]: "none", "1xx" .. "5xx".
std::string status_class_name(size_t index);

} // namespace flexilib::admin
