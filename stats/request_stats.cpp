// Recording request figures and reading them back.
#include "stats/request_stats.hpp"

#include <algorithm>

namespace flexilib::stats {

namespace {
constexpr size_t max_kept_text = 256; // a target longer than this is cut in the ring

void raise_to(std::atomic<uint64_t> &value, uint64_t candidate) {
  uint64_t seen = value.load(std::memory_order_relaxed);
  while (candidate > seen &&
         !value.compare_exchange_weak(seen, candidate, std::memory_order_relaxed)) {
  }
}

std::shared_ptr<Totals> totals_for(std::map<std::string, std::shared_ptr<Totals>> &map,
                                   const std::string &key) {
  std::shared_ptr<Totals> &entry = map[key];
  if (!entry) entry = std::make_shared<Totals>();
  return entry;
}
} // namespace

void Totals::add(const RequestSample &sample) {
  const size_t status_class = sample.status >= 100 && sample.status < 600 ? sample.status / 100 : 0;
  by_status_class[status_class].fetch_add(1, std::memory_order_relaxed);
  alloc_bytes.fetch_add(sample.alloc_bytes, std::memory_order_relaxed);
  if (sample.alloc_bytes > sample.prealloc_bytes)
    overflowed.fetch_add(1, std::memory_order_relaxed);
  raise_to(max_alloc_bytes, sample.alloc_bytes);
  ttfb.record(sample.ttfb_ms);
  ttlb.record(sample.ttlb_ms);
}

uint64_t Totals::requests() const {
  uint64_t sum = 0;
  for (const auto &count : by_status_class)
    sum += count.load(std::memory_order_relaxed);
  return sum;
}

RequestStats::RequestStats(size_t thread_count, size_t ring_size) : ring_size_(ring_size) {
  const size_t threads = std::max<size_t>(1, thread_count);
  const size_t per_thread = (ring_size + threads - 1) / threads;
  for (size_t i = 0; i < threads; ++i) {
    rings_.push_back(std::make_unique<Ring>());
    rings_.back()->capacity = per_thread;
  }
}

void RequestStats::record(const RequestSample &sample, Totals *route, Totals *library) {
  server_.add(sample);
  if (route) route->add(sample);
  if (library) library->add(sample);
  if (ring_size_ == 0) return;

  Ring &ring = *rings_[sample.thread % rings_.size()];
  std::lock_guard lock(ring.mutex);
  // The ring grows to its capacity as requests come, so an idle server holds none.
  if (ring.records.size() < ring.capacity) ring.records.emplace_back();
  RequestRecord &record = ring.records[ring.next];
  ring.next = (ring.next + 1) % ring.capacity;
  // assign() reuses each string's capacity: after the ring has gone round once,
  // recording allocates nothing.
  record.time = sample.time;
  record.client.assign(sample.client.substr(0, max_kept_text));
  record.method.assign(sample.method.substr(0, max_kept_text));
  record.target.assign(sample.target.substr(0, max_kept_text));
  record.route.assign(sample.route.substr(0, max_kept_text));
  record.library.assign(sample.library.substr(0, max_kept_text));
  record.generation = sample.generation;
  record.status = sample.status;
  record.body_bytes = sample.body_bytes;
  record.ttfb_ms = sample.ttfb_ms;
  record.ttlb_ms = sample.ttlb_ms;
  record.prealloc_bytes = sample.prealloc_bytes;
  record.alloc_bytes = sample.alloc_bytes;
  record.thread = sample.thread;
  record.profile.assign(sample.profile);
  record.cold = sample.cold;
  record.billed_ms = sample.billed_ms;
  record.sequence = sequence_.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::vector<RequestRecord> RequestStats::recent(size_t limit) const {
  std::vector<RequestRecord> all;
  for (const auto &ring : rings_) {
    std::lock_guard lock(ring->mutex);
    for (const RequestRecord &record : ring->records)
      if (record.sequence != 0) all.push_back(record);
  }
  std::sort(all.begin(), all.end(),
            [](const RequestRecord &a, const RequestRecord &b) { return a.sequence > b.sequence; });
  if (all.size() > limit) all.resize(limit);
  if (all.size() > ring_size_) all.resize(ring_size_);
  return all;
}

std::shared_ptr<Totals> RequestStats::route_totals(const std::string &route) {
  std::lock_guard lock(totals_mutex_);
  return totals_for(routes_, route);
}

std::shared_ptr<Totals> RequestStats::library_totals(const std::string &library) {
  std::lock_guard lock(totals_mutex_);
  return totals_for(libraries_, library);
}

std::map<std::string, std::shared_ptr<Totals>> RequestStats::all_route_totals() const {
  std::lock_guard lock(totals_mutex_);
  return routes_;
}

std::map<std::string, std::shared_ptr<Totals>> RequestStats::all_library_totals() const {
  std::lock_guard lock(totals_mutex_);
  return libraries_;
}

} // namespace flexilib::stats
