// The figures every request leaves behind, for the admin endpoint: the most recent
// requests (a fixed ring per serving thread, so memory never grows and a thread
// only ever takes its own ring's lock) and running totals and latency histograms
// for the whole server, per route and per library (atomics, no lock).
#pragma once

#include "stats/latency_histogram.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::stats {

// What one finished request reports.
struct RequestSample {
  std::chrono::system_clock::time_point time; // when it started
  std::string_view client, method, target, route, library;
  uint64_t generation = 0; // of the library that served it, 0 when none did
  int status = 0;
  size_t body_bytes = 0;
  double ttfb_ms = 0, ttlb_ms = 0;
  size_t prealloc_bytes = 0, alloc_bytes = 0;
  unsigned thread = 0;
  // The FaaS simulation (faas/): "flexilib", "lambda" or "cloudflare" ("" for no
  // library), whether this was the generation's first request, and Lambda's billed ms.
  std::string_view profile;
  int cold = -1;          // 1 cold, 0 warm, -1 no library served
  int64_t billed_ms = -1; // -1: not a Lambda invocation
};

// Running totals for one scope (the server, a route, a library).
struct Totals {
  std::array<std::atomic<uint64_t>, 6> by_status_class{}; // [0]: no status, [1..5]: 1xx..5xx
  std::atomic<uint64_t> alloc_bytes{0};
  std::atomic<uint64_t> overflowed{0}; // requests whose alloc exceeded pre-alloc
  std::atomic<uint64_t> max_alloc_bytes{0};
  LatencyHistogram ttfb, ttlb;

  void add(const RequestSample &sample);
  uint64_t requests() const;
};

// A recent request as kept in the ring (owned copies of the strings, truncated).
struct RequestRecord {
  std::chrono::system_clock::time_point time;
  std::string client, method, target, route, library;
  uint64_t generation = 0;
  int status = 0;
  size_t body_bytes = 0;
  double ttfb_ms = 0, ttlb_ms = 0;
  size_t prealloc_bytes = 0, alloc_bytes = 0;
  unsigned thread = 0;
  std::string profile;
  int cold = -1;
  int64_t billed_ms = -1;
  uint64_t sequence = 0; // global order, newest highest
};

class RequestStats {
public:
  // `ring_size` recent requests are kept in all (split over the threads).
  RequestStats(size_t thread_count, size_t ring_size);

  // Called by serving thread `sample.thread` after each request.
  void record(const RequestSample &sample, Totals *route, Totals *library);

  // The newest `limit` requests, newest first.
  std::vector<RequestRecord> recent(size_t limit) const;

  // Totals kept across configuration reloads, by route text or library path.
  std::shared_ptr<Totals> route_totals(const std::string &route);
  std::shared_ptr<Totals> library_totals(const std::string &library);
  std::map<std::string, std::shared_ptr<Totals>> all_route_totals() const;
  std::map<std::string, std::shared_ptr<Totals>> all_library_totals() const;

  const Totals &server_totals() const { return server_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  size_t ring_size() const { return ring_size_; }

private:
  struct Ring {
    mutable std::mutex mutex; // the owning thread and an admin reader, never two threads
    std::vector<RequestRecord> records;
    size_t capacity = 0;
    size_t next = 0;
  };

  const size_t ring_size_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<uint64_t> sequence_{0};
  std::vector<std::unique_ptr<Ring>> rings_;
  Totals server_;
  mutable std::mutex totals_mutex_; // guards the two maps (look-ups at reload only)
  std::map<std::string, std::shared_ptr<Totals>> routes_, libraries_;
};

} // namespace flexilib::stats
