// GET /metrics: the request figures in Prometheus' text exposition format 0.0.4.
// Counters by status class and ttfb/ttlb histograms for the whole server and for
// each route, each upstream server's health and attempts, plus process memory. Bucket counts come
// from the server's own log-linear histograms, so an `le` bound is exact to their 1/16 precision.
#pragma once

#include "admin/process_memory.hpp"
#include "admin/scope_figures.hpp"
#include "stats/request_stats.hpp"
#include "upstream/upstream_server.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::admin {

// The `le` bounds of the latency histograms, in milliseconds (0.1 ms to 10 s).
inline constexpr std::array<double, 16> latency_bucket_bounds_ms = {
    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

struct RouteFigures {
  std::string route; // as proxy.ini writes it: "/json", "Host: iam /"
  ScopeFigures figures;
};

struct UpstreamFigures {
  std::string server; // "127.0.0.1:3000"
  bool up = true;     // not within UPSTREAM_FAIL_TIMEOUT_S of a failure
  upstream::ServerFigures figures;
};

struct MetricsSnapshot {
  ScopeFigures server;
  std::vector<RouteFigures> routes;       // every route seen since start, by name
  std::vector<UpstreamFigures> upstreams; // every upstream server the active routes name
  ProcessMemory memory;
  double uptime_seconds = 0;
};

MetricsSnapshot take_metrics_snapshot(const stats::RequestStats &stats, ProcessMemory memory);

// The exposition text, every metric with its HELP and TYPE lines.
std::string metrics_text(const MetricsSnapshot &snapshot);

// A label value with backslash, double quote and newline escaped as the format asks.
std::string escape_label_value(std::string_view value);

} // namespace flexilib::admin
