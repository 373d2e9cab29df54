// Copying a Totals out of its atomics.
#include "admin/scope_figures.hpp"

#include <numeric>

namespace flexilib::admin {

uint64_t ScopeFigures::requests() const {
  return std::accumulate(by_status_class.begin(), by_status_class.end(), uint64_t(0));
}

ScopeFigures figures_of(const stats::Totals &totals) {
  ScopeFigures figures;
  for (size_t i = 0; i < figures.by_status_class.size(); ++i)
    figures.by_status_class[i] = totals.by_status_class[i].load(std::memory_order_relaxed);
  figures.alloc_bytes = totals.alloc_bytes.load(std::memory_order_relaxed);
  figures.overflowed = totals.overflowed.load(std::memory_order_relaxed);
  figures.max_alloc_bytes = totals.max_alloc_bytes.load(std::memory_order_relaxed);
  figures.ttfb = totals.ttfb.snapshot();
  figures.ttlb = totals.ttlb.snapshot();
  return figures;
}

std::string status_class_name(size_t index) {
  return index == 0 ? "none" : std::to_string(index) + "xx";
}

} // namespace flexilib::admin
