// Log-linear bucketing and percentile reading.
#include "stats/latency_histogram.hpp"

#include <bit>
#include <cmath>

namespace flexilib::stats {

// Values below 16 us get one bucket per microsecond; above, each power of two
// [2^p, 2^(p+1)) is split into 16 equal buckets.
size_t LatencyHistogram::bucket_of(uint64_t us) {
  if (us < uint64_t(sub_buckets)) return size_t(us);
  const int power = std::bit_width(us) - 1; // 2^power <= us
  const int shift = power - 4;              // log2(sub_buckets)
  const size_t sub = size_t((us >> shift) - sub_buckets);
  const size_t bucket = size_t(power - 3) * sub_buckets + sub;
  return bucket < bucket_count ? bucket : bucket_count - 1;
}

double LatencyHistogram::upper_bound_ms(size_t bucket) {
  if (bucket < size_t(sub_buckets)) return double(bucket) / 1000.0;
  const int power = int(bucket / sub_buckets) + 3;
  const uint64_t sub = bucket % sub_buckets;
  const uint64_t lower = (uint64_t(sub_buckets) + sub) << (power - 4);
  const uint64_t width = uint64_t(1) << (power - 4);
  return double(lower + width - 1) / 1000.0;
}

void LatencyHistogram::record(double ms) {
  const uint64_t us = ms <= 0 ? 0 : uint64_t(std::llround(ms * 1000.0));
  counts_[bucket_of(us)].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
  uint64_t seen = max_us_.load(std::memory_order_relaxed);
  while (us > seen && !max_us_.compare_exchange_weak(seen, us, std::memory_order_relaxed)) {
  }
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot copy;
  copy.counts.resize(bucket_count);
  for (size_t i = 0; i < bucket_count; ++i) {
    copy.counts[i] = counts_[i].load(std::memory_order_relaxed);
    copy.total += copy.counts[i];
  }
  copy.max_ms = double(max_us_.load(std::memory_order_relaxed)) / 1000.0;
  copy.sum_ms = double(sum_us_.load(std::memory_order_relaxed)) / 1000.0;
  return copy;
}

double LatencyHistogram::Snapshot::percentile(double fraction) const {
  if (total == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(fraction * double(total))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) return std::min(upper_bound_ms(i), max_ms);
  }
  return max_ms;
}

uint64_t LatencyHistogram::Snapshot::count_at_most(double ms) const {
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size() && upper_bound_ms(i) <= ms; ++i)
    seen += counts[i];
  return seen;
}

} // namespace flexilib::stats
