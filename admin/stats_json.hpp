// The JSON forms of the request figures that /requests and /stats answer with.
// Times are milliseconds rounded to the microsecond the clocks measure.
#pragma once

#include "admin/process_memory.hpp"
#include "admin/scope_figures.hpp"
#include "stats/request_stats.hpp"

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

// {"count", "p50", "p90", "p99", "max", "mean", "buckets"} of a latency histogram, in
// ms. buckets: [{"le_ms": 0.1, "count": n}, ...] over latency_bucket_bounds_ms, each
// counting the values above the previous bound and at most its own, then
// {"le_ms": null} for those above 10 s; the counts add up to "count".
nlohmann::json latency_json(const stats::LatencyHistogram::Snapshot &snapshot);

// Requests by status class, ttfb_ms, ttlb_ms and allocation figures of one scope.
nlohmann::json scope_json(const ScopeFigures &figures);

nlohmann::json memory_json(const ProcessMemory &memory);

} // namespace flexilib::admin
