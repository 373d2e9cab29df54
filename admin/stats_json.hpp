// The JSON forms of the request figures that /requests and /stats answer with.
// Times are milliseconds rounded to the microsecond the clocks measure.
#pragma once

#include "admin/process_memory.hpp"
#include "admin/scope_figures.hpp"
#include "stats/request_stats.hpp"

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace flexilib::admin {

// Milliseconds rounded to the microsecond: what the clocks measure, no more digits.
double round_to_microsecond(double ms);

// "2024-05-01T12:34:56.789Z": ISO 8601, UTC, millisecond precision.
std::string iso8601_utc(std::chrono::system_clock::time_point time);

// One recent request: time, client, method, target, route, library, generation,
// status, bytes, ttfb_ms, ttlb_ms, prealloc_bytes, alloc_bytes, thread and sequence
// (1 for the first request recorded, rising: a poller can skip what it has seen).
// route, library and generation are null when no route matched.
nlohmann::json record_json(const stats::RequestRecord &record);

// The bucket bounds of /stats' latency histograms, in milliseconds: 1, 2.5, 5 per
// decade from 1 us to 10 s, a log scale. Finer at the bottom than /metrics' buckets:
// a library's handler often answers in microseconds.
inline constexpr std::array<double, 22> stats_bucket_bounds_ms = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
    5,     10,     25,    50,   100,   250,  500, 1000, 2500, 5000, 10000};

// {"count", "p50", "p90", "p99", "max", "mean", "buckets"} of a latency histogram, in
// ms. buckets: [{"le_ms": 0.001, "count": n}, ...] over stats_bucket_bounds_ms, each
// counting the values above the previous bound and at most its own, then
// {"le_ms": null} for those above 10 s; the counts add up to "count".
nlohmann::json latency_json(const stats::LatencyHistogram::Snapshot &snapshot);

// Requests by status class, ttfb_ms, ttlb_ms and allocation figures of one scope.
nlohmann::json scope_json(const ScopeFigures &figures);

nlohmann::json memory_json(const ProcessMemory &memory);

} // namespace flexilib::admin
