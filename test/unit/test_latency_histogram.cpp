// Unit tests of the latency histogram: bucketing and percentiles against known inputs.
#include "stats/latency_histogram.hpp"

#include <catch2/catch.hpp>

using flexilib::stats::LatencyHistogram;

TEST_CASE("every microsecond value lands in a bucket whose bound is within 1/16", "[histogram]") {
  for (uint64_t us :
       {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 32ull, 33ull, 1000ull, 123456ull, 999999999ull}) {
    INFO(us);
    const size_t bucket = LatencyHistogram::bucket_of(us);
    const double bound_us = LatencyHistogram::upper_bound_ms(bucket) * 1000.0;
    CHECK(bound_us >= double(us) - 0.001);
    CHECK(bound_us <= double(us) * (1.0 + 1.0 / 16) + 1.0);
  }
}

TEST_CASE("buckets are ordered: a larger value never lands in an earlier bucket", "[histogram]") {
  size_t previous = 0;
  for (uint64_t us = 0; us < 200000; us += 7) {
    const size_t bucket = LatencyHistogram::bucket_of(us);
    REQUIRE(bucket >= previous);
    previous = bucket;
  }
}

TEST_CASE("percentiles of 1..1000 ms are within the histogram's precision", "[histogram]") {
  LatencyHistogram histogram;
  for (int ms = 1; ms <= 1000; ++ms)
    histogram.record(ms);
  const LatencyHistogram::Snapshot snapshot = histogram.snapshot();
  CHECK(snapshot.total == 1000);
  CHECK(snapshot.max_ms == Approx(1000));
  CHECK(snapshot.sum_ms == Approx(500500));
  for (const auto &[fraction, exact] : {std::pair{0.5, 500.0}, {0.9, 900.0}, {0.99, 990.0}}) {
    INFO(fraction);
    const double value = snapshot.percentile(fraction);
    CHECK(value >= exact);
    CHECK(value <= exact * (1.0 + 1.0 / 16));
  }
  CHECK(snapshot.percentile(1.0) == Approx(1000));
}

TEST_CASE("an empty histogram reads as zero", "[histogram]") {
  LatencyHistogram histogram;
  CHECK(histogram.snapshot().percentile(0.99) == 0);
  CHECK(histogram.snapshot().total == 0);
}

TEST_CASE("count_at_most counts whole buckets up to a bound", "[histogram]") {
  LatencyHistogram histogram;
  histogram.record(0.001); // 1 us
  histogram.record(0.5);
  histogram.record(2000);
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.count_at_most(0.0015) == 1);
  CHECK(snapshot.count_at_most(1.0) == 2);
  CHECK(snapshot.count_at_most(1e9) == 3);
}
