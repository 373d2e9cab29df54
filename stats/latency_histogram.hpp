// A latency histogram that serving threads record into without locks and that the
// admin endpoint reads while they do. Buckets are log-linear (HDR-style): 16 per
// power of two of microseconds, so any percentile read from it is within 1/16 (6%)
// of the true value, from 1 us to over an hour, in a fixed 4.5 KiB.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flexilib::stats {

class LatencyHistogram {
public:
  static constexpr int sub_buckets = 16;
  static constexpr int powers = 36; // 2^36 us: 19 hours
  static constexpr size_t bucket_count = size_t(sub_buckets) * powers;

  void record(double ms);

  struct Snapshot {
    std::vector<uint64_t> counts; // per bucket
    uint64_t total = 0;
    double max_ms = 0;
    double sum_ms = 0;
    // The value below which `fraction` (0..1) of the recorded values fall: the upper
    // bound of the bucket holding that rank. 0 when nothing was recorded.
    double percentile(double fraction) const;
    // How many values were at most `ms` (for Prometheus' cumulative buckets).
    uint64_t count_at_most(double ms) const;
  };
  Snapshot snapshot() const;

  static size_t bucket_of(uint64_t microseconds);
  static double upper_bound_ms(size_t bucket); // the largest value bucket `bucket` holds

private:
  std::array<std::atomic<uint64_t>, bucket_count> counts_{};
  std::atomic<uint64_t> max_us_{0};
  std::atomic<uint64_t> sum_us_{0};
};

} // namespace flexilib::stats
