// Building the JSON of request records and totals.
#include "admin/stats_json.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace flexilib::admin {

namespace {

nlohmann::json text_or_null(const std::string &text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

} // namespace

double round_to_microsecond(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

std::string iso8601_utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  const std::time_t seconds = std::time_t(floor<std::chrono::seconds>(since_epoch).count());
  const int millis = int(since_epoch.count() - seconds * 1000LL);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", millis);
  return std::string(date) + fraction;
}

nlohmann::json record_json(const stats::RequestRecord &record) {
  return {{"time", iso8601_utc(record.time)},
          {"client", record.client},
          {"method", record.method},
          {"target", record.target},
          {"route", text_or_null(record.route)},
          {"library", text_or_null(record.library)},
          {"generation",
           record.generation == 0 ? nlohmann::json(nullptr) : nlohmann::json(record.generation)},
          {"status", record.status},
          {"bytes", record.body_bytes},
          {"ttfb_ms", round_to_microsecond(record.ttfb_ms)},
          {"ttlb_ms", round_to_microsecond(record.ttlb_ms)},
          {"prealloc_bytes", record.prealloc_bytes},
          {"alloc_bytes", record.alloc_bytes},
          {"thread", record.thread},
          {"profile", text_or_null(record.profile)},
          {"cold", record.cold < 0 ? nlohmann::json(nullptr) : nlohmann::json(record.cold == 1)},
          {"billed_ms",
           record.billed_ms < 0 ? nlohmann::json(nullptr) : nlohmann::json(record.billed_ms)},
          {"sequence", record.sequence}};
}

nlohmann::json buckets_json(const stats::LatencyHistogram::Snapshot &snapshot) {
  nlohmann::json buckets = nlohmann::json::array();
  uint64_t below = 0;
  for (double bound_ms : stats_bucket_bounds_ms) {
    const uint64_t at_most = snapshot.count_at_most(bound_ms);
    buckets.push_back({{"le_ms", bound_ms}, {"count", at_most - below}});
    below = at_most;
  }
  buckets.push_back({{"le_ms", nullptr}, {"count", snapshot.total - below}});
  return buckets;
}

nlohmann::json latency_json(const stats::LatencyHistogram::Snapshot &snapshot) {
  const double mean = snapshot.total == 0 ? 0 : snapshot.sum_ms / double(snapshot.total);
  return {{"count", snapshot.total},
          {"p50", round_to_microsecond(snapshot.percentile(0.50))},
          {"p90", round_to_microsecond(snapshot.percentile(0.90))},
          {"p99", round_to_microsecond(snapshot.percentile(0.99))},
          {"max", round_to_microsecond(snapshot.max_ms)},
          {"mean", round_to_microsecond(mean)},
          {"buckets", buckets_json(snapshot)}};
}

nlohmann::json scope_json(const ScopeFigures &figures) {
  nlohmann::json by_class = nlohmann::json::object();
  for (size_t i = 0; i < figures.by_status_class.size(); ++i)
    by_class[status_class_name(i)] = figures.by_status_class[i];
  const uint64_t requests = figures.requests();
  return {{"requests", requests},
          {"by_status_class", by_class},
          {"ttfb_ms", latency_json(figures.ttfb)},
          {"ttlb_ms", latency_json(figures.ttlb)},
          {"alloc",
           {{"total_bytes", figures.alloc_bytes},
            {"mean_bytes", requests == 0 ? 0 : figures.alloc_bytes / requests},
            {"max_bytes", figures.max_alloc_bytes},
            {"over_prealloc_requests", figures.overflowed}}}};
}

nlohmann::json memory_json(const ProcessMemory &memory) {
  return {{"resident_bytes", memory.resident_bytes}, {"private_bytes", memory.private_bytes}};
}

} // namespace flexilib::admin
