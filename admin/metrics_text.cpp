// Writing the Prometheus exposition text.
#include "admin/metrics_text.hpp"

#include <chrono>
#include <cstdio>

namespace flexilib::admin {

namespace {

// Numbers as Prometheus parses them: %g keeps "0.0001" and "2.5" short and exact.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

void describe(std::string &out, std::string_view name, std::string_view type,
              std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

// `labels` is empty or `name="value"` pairs without braces; `extra` is appended.
std::string braces(const std::string &labels, const std::string &extra = {}) {
  std::string inside = labels;
  if (!inside.empty() && !extra.empty()) inside += ",";
  inside += extra;
  return inside.empty() ? "" : "{" + inside + "}";
}

void sample(std::string &out, std::string_view name, const std::string &labels,
            const std::string &value) {
  out.append(name).append(labels).append(" ").append(value).append("\n");
}

void status_counters(std::string &out, std::string_view name, const std::string &labels,
                     const ScopeFigures &figures) {
  for (size_t i = 0; i < figures.by_status_class.size(); ++i) {
    const std::string status = "status_class=\"" + status_class_name(i) + "\"";
    sample(out, name, braces(labels, status), std::to_string(figures.by_status_class[i]));
  }
}

void histogram(std::string &out, const std::string &name, const std::string &labels,
               const stats::LatencyHistogram::Snapshot &snapshot) {
  for (double bound_ms : latency_bucket_bounds_ms) {
    const std::string le = "le=\"" + number(bound_ms / 1000.0) + "\"";
    sample(out, name + "_bucket", braces(labels, le),
           std::to_string(snapshot.count_at_most(bound_ms)));
  }
  sample(out, name + "_bucket", braces(labels, "le=\"+Inf\""), std::to_string(snapshot.total));
  sample(out, name + "_sum", braces(labels), number(snapshot.sum_ms / 1000.0));
  sample(out, name + "_count", braces(labels), std::to_string(snapshot.total));
}

std::string route_label(const RouteFigures &route) {
  return "route=\"" + escape_label_value(route.route) + "\"";
}

} // namespace

MetricsSnapshot take_metrics_snapshot(const stats::RequestStats &stats, ProcessMemory memory) {
  MetricsSnapshot snapshot;
  snapshot.server = figures_of(stats.server_totals());
  for (const auto &[route, totals] : stats.all_route_totals())
    snapshot.routes.push_back({route, figures_of(*totals)});
  snapshot.memory = memory;
  snapshot.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stats.started()).count();
  return snapshot;
}

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      escaped += "\\\\";
    else if (c == '"')
      escaped += "\\\"";
    else if (c == '\n')
      escaped += "\\n";
    else
      escaped += c;
  }
  return escaped;
}

namespace {

void upstream_metrics(std::string &out, const std::vector<UpstreamFigures> &upstreams) {
  const auto label = [](const UpstreamFigures &upstream) {
    return braces("server=\"" + escape_label_value(upstream.server) + "\"");
  };
  describe(out, "flexilib_upstream_up", "gauge",
           "1 when the upstream server is in rotation, 0 within UPSTREAM_FAIL_TIMEOUT_S of a "
           "failure.");
  for (const UpstreamFigures &upstream : upstreams)
    sample(out, "flexilib_upstream_up", label(upstream), upstream.up ? "1" : "0");
  const struct {
    const char *name, *help;
    uint64_t upstream::ServerFigures::*count;
  } counters[] = {
      {"flexilib_upstream_requests_total", "Attempts sent to the upstream server.",
       &upstream::ServerFigures::requests},
      {"flexilib_upstream_failures_total", "Attempts that failed (refused, timed out, broken).",
       &upstream::ServerFigures::failures},
      {"flexilib_upstream_retries_total", "Attempts that retried a request failed before.",
       &upstream::ServerFigures::retries},
  };
  for (const auto &counter : counters) {
    describe(out, counter.name, "counter", counter.help);
    for (const UpstreamFigures &upstream : upstreams)
      sample(out, counter.name, label(upstream), std::to_string(upstream.figures.*counter.count));
  }
}

} // namespace

std::string metrics_text(const MetricsSnapshot &snapshot) {
  std::string out;
  describe(out, "flexilib_requests_total", "counter",
           "Requests answered since start, by status class (none: no response was sent).");
  status_counters(out, "flexilib_requests_total", "", snapshot.server);

  describe(out, "flexilib_route_requests_total", "counter",
           "Requests answered by each proxy.ini route, by status class.");
  for (const RouteFigures &route : snapshot.routes)
    status_counters(out, "flexilib_route_requests_total", route_label(route), route.figures);

  const struct {
    const char *name, *help;
    stats::LatencyHistogram::Snapshot ScopeFigures::*latency;
  } latencies[] = {
      {"ttfb_seconds", "from the complete request head to the handler's return",
       &ScopeFigures::ttfb},
      {"ttlb_seconds", "from the complete request head to the last byte sent", &ScopeFigures::ttlb},
  };
  for (const auto &latency : latencies) {
    const std::string name = std::string("flexilib_") + latency.name;
    describe(out, name, "histogram", std::string("Request time ") + latency.help + ".");
    histogram(out, name, "", snapshot.server.*latency.latency);
    const std::string route_name = std::string("flexilib_route_") + latency.name;
    describe(out, route_name, "histogram",
             std::string("Request time of each route ") + latency.help + ".");
    for (const RouteFigures &route : snapshot.routes)
      histogram(out, route_name, route_label(route), route.figures.*latency.latency);
  }

  upstream_metrics(out, snapshot.upstreams);

  describe(out, "flexilib_process_resident_memory_bytes", "gauge",
           "Resident memory of the process (RSS).");
  sample(out, "flexilib_process_resident_memory_bytes", "",
         std::to_string(snapshot.memory.resident_bytes));
  describe(out, "flexilib_process_private_memory_bytes", "gauge",
           "Anonymous memory only this process uses (Pss_Anon).");
  sample(out, "flexilib_process_private_memory_bytes", "",
         std::to_string(snapshot.memory.private_bytes));
  describe(out, "flexilib_uptime_seconds", "gauge", "Seconds since the server started.");
  sample(out, "flexilib_uptime_seconds", "", number(snapshot.uptime_seconds));
  return out;
}

} // namespace flexilib::admin
