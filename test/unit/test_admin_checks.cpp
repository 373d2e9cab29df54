// Unit tests of the admin endpoint's pure parts: the Host, Origin and token checks,
// parameter parsing, the JSON of records and figures, and the Prometheus text.
#include "admin/admin_checks.hpp"
#include "admin/metrics_text.hpp"
#include "admin/process_memory.hpp"
#include "admin/stats_json.hpp"

#include <catch2/catch.hpp>

using namespace flexilib::admin;
using flexilib::stats::LatencyHistogram;

namespace {
bool contains_line(const std::string &text, const std::string &line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}
} // namespace

TEST_CASE("loopback addresses are recognised", "[admin]") {
  for (const char *address : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"})
    CHECK(is_loopback_address(address));
  for (const char *address : {"0.0.0.0", "10.0.0.1", "::", "128.0.0.1", "localhost", "", "fe80::1"})
    CHECK_FALSE(is_loopback_address(address));
}

TEST_CASE("only loopback Host headers pass, with or without a port", "[admin]") {
  for (const char *host : {"localhost", "LocalHost:8070", "127.0.0.1", "127.0.0.1:8070",
                           "127.8.9.10:1", "[::1]", "[::1]:8070"})
    CHECK(host_allowed(host, "127.0.0.1"));
  for (const char *host :
       {"", "example.com", "evil.localhost.example.com", "localhost.evil.com", "10.0.0.1:8070",
        "127.0.0.1:", "127.0.0.1:80x", "[::1", "[::1]x", "::1", "0.0.0.0:8070", "127.0.0.1.nip.io"})
    CHECK_FALSE(host_allowed(host, "127.0.0.1"));
}

TEST_CASE("the admin address itself is an allowed Host", "[admin]") {
  CHECK(host_allowed("10.0.0.5:8070", "10.0.0.5"));
  CHECK(host_allowed("[fd00::5]:8070", "fd00::5"));
  CHECK_FALSE(host_allowed("10.0.0.6:8070", "10.0.0.5"));
}

TEST_CASE("only loopback Origins pass", "[admin]") {
  for (const char *origin :
       {"http://localhost", "http://localhost:3000", "https://127.0.0.1:8070", "http://[::1]:80"})
    CHECK(origin_allowed(origin, "127.0.0.1"));
  for (const char *origin : {"null", "", "http://example.com", "https://evil.com:8070",
                             "file://localhost", "localhost", "http://", "http://localhost/x"})
    CHECK_FALSE(origin_allowed(origin, "127.0.0.1"));
}

TEST_CASE("a Bearer token must match exactly", "[admin]") {
  CHECK(bearer_token_matches("Bearer s3cret", "s3cret"));
  CHECK(bearer_token_matches("bearer s3cret", "s3cret"));
  for (const char *authorization : {"", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3crett",
                                    "Bearer S3cret", "Basic s3cret", "s3cret", "Bearer  s3cret"})
    CHECK_FALSE(bearer_token_matches(authorization, "s3cret"));
  CHECK_FALSE(bearer_token_matches("Bearer ", "")); // no token configured: nothing matches
}

TEST_CASE("the requests limit is a whole number within bounds", "[admin]") {
  CHECK(parse_request_limit("0") == std::optional<size_t>(0));
  CHECK(parse_request_limit("5") == std::optional<size_t>(5));
  CHECK(parse_request_limit("1000000") == std::optional<size_t>(max_request_limit));
  for (const char *text :
       {"", "-1", "+5", " 5", "5 ", "5x", "1e3", "1000001", "99999999999999999999"})
    CHECK_FALSE(parse_request_limit(text).has_value());
}

TEST_CASE("percentiles of 1..1000 ms are within the histogram's 1/16", "[admin]") {
  LatencyHistogram histogram;
  for (int ms = 1000; ms >= 1; --ms)
    histogram.record(ms);
  const nlohmann::json latency = latency_json(histogram.snapshot());
  CHECK(latency["count"] == 1000);
  CHECK(latency["p50"].get<double>() == Approx(500).epsilon(1.0 / 16));
  CHECK(latency["p90"].get<double>() == Approx(900).epsilon(1.0 / 16));
  CHECK(latency["p99"].get<double>() == Approx(990).epsilon(1.0 / 16));
  CHECK(latency["max"].get<double>() == 1000);
  CHECK(latency["mean"].get<double>() == Approx(500.5));
  // A percentile is the top of its bucket: never below the true value.
  CHECK(latency["p50"].get<double>() >= 500);
  CHECK(latency["p99"].get<double>() >= 990);
}

TEST_CASE("an empty histogram gives zero percentiles", "[admin]") {
  const nlohmann::json latency = latency_json(LatencyHistogram().snapshot());
  CHECK(latency["count"] == 0);
  CHECK(latency["p50"] == 0);
  CHECK(latency["max"] == 0);
}

TEST_CASE("times are ISO 8601 UTC with milliseconds", "[admin]") {
  using namespace std::chrono;
  const system_clock::time_point time =
      system_clock::time_point(seconds(1714566896)) + milliseconds(7) + microseconds(900);
  CHECK(iso8601_utc(time) == "2024-05-01T12:34:56.007Z");
  CHECK(iso8601_utc(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("a request record becomes a JSON object with every field", "[admin]") {
  flexilib::stats::RequestRecord record;
  record.time = std::chrono::system_clock::time_point(std::chrono::seconds(0));
  record.client = "127.0.0.1:5000";
  record.method = "GET";
  record.target = "/json?x=1";
  record.route = "/json";
  record.library = "/srv/libjson.so";
  record.generation = 3;
  record.status = 200;
  record.body_bytes = 42;
  record.ttfb_ms = 0.1234;
  record.ttlb_ms = 0.5;
  record.prealloc_bytes = 8192;
  record.alloc_bytes = 160;
  record.thread = 1;
  record.profile = "lambda";
  record.cold = 1;
  record.billed_ms = 4;
  record.sequence = 17;
  const nlohmann::json json = record_json(record);
  CHECK(json == nlohmann::json{{"time", "1970-01-01T00:00:00.000Z"},
                               {"client", "127.0.0.1:5000"},
                               {"method", "GET"},
                               {"target", "/json?x=1"},
                               {"route", "/json"},
                               {"library", "/srv/libjson.so"},
                               {"generation", 3},
                               {"status", 200},
                               {"bytes", 42},
                               {"ttfb_ms", 0.123},
                               {"ttlb_ms", 0.5},
                               {"prealloc_bytes", 8192},
                               {"alloc_bytes", 160},
                               {"thread", 1},
                               {"profile", "lambda"},
                               {"cold", true},
                               {"billed_ms", 4},
                               {"sequence", 17}});
}

TEST_CASE("a request no route matched has null route, library and generation", "[admin]") {
  flexilib::stats::RequestRecord record;
  record.status = 404;
  const nlohmann::json json = record_json(record);
  CHECK(json["route"].is_null());
  CHECK(json["library"].is_null());
  CHECK(json["generation"].is_null());
  CHECK(json["status"] == 404);
}

TEST_CASE("scope figures report status classes and allocation", "[admin]") {
  flexilib::stats::Totals totals;
  flexilib::stats::RequestSample sample;
  sample.prealloc_bytes = 100;
  for (auto [status, alloc] : {std::pair{200, 50}, {204, 150}, {404, 10}, {0, 0}}) {
    sample.status = status;
    sample.alloc_bytes = size_t(alloc);
    totals.add(sample);
  }
  const nlohmann::json json = scope_json(figures_of(totals));
  CHECK(json["requests"] == 4);
  CHECK(json["by_status_class"]["2xx"] == 2);
  CHECK(json["by_status_class"]["4xx"] == 1);
  CHECK(json["by_status_class"]["none"] == 1);
  CHECK(json["by_status_class"]["5xx"] == 0);
  CHECK(json["alloc"]["total_bytes"] == 210);
  CHECK(json["alloc"]["max_bytes"] == 150);
  CHECK(json["alloc"]["over_prealloc_requests"] == 1);
}

TEST_CASE("metrics text has cumulative le buckets of a known histogram", "[admin]") {
  MetricsSnapshot snapshot;
  LatencyHistogram histogram;
  for (double ms : {0.05, 0.05, 3.0, 20000.0})
    histogram.record(ms);
  RouteFigures route{"Host: \"iam\" /", {}};
  route.figures.ttfb = histogram.snapshot();
  route.figures.ttlb = LatencyHistogram().snapshot();
  route.figures.by_status_class = {0, 0, 3, 0, 1, 0};
  snapshot.server = route.figures;
  snapshot.routes.push_back(route);
  snapshot.memory = {4096, 1024};
  const std::string text = metrics_text(snapshot);
  INFO(text);

  const std::string label = "route=\"Host: \\\"iam\\\" /\"";
  CHECK(contains_line(text, "# TYPE flexilib_route_ttfb_seconds histogram"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_bucket{" + label + ",le=\"0.0001\"} 2"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_bucket{" + label + ",le=\"0.0025\"} 2"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_bucket{" + label + ",le=\"0.005\"} 3"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_bucket{" + label + ",le=\"10\"} 3"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_bucket{" + label + ",le=\"+Inf\"} 4"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_count{" + label + "} 4"));
  CHECK(contains_line(text, "flexilib_route_ttfb_seconds_sum{" + label + "} 20.0031"));
  CHECK(contains_line(text, "flexilib_ttfb_seconds_bucket{le=\"0.005\"} 3"));
  CHECK(contains_line(text, "flexilib_route_ttlb_seconds_count{" + label + "} 0"));
  CHECK(contains_line(text, "flexilib_requests_total{status_class=\"2xx\"} 3"));
  CHECK(contains_line(text, "flexilib_route_requests_total{" + label + ",status_class=\"4xx\"} 1"));
  CHECK(contains_line(text, "flexilib_process_resident_memory_bytes 4096"));
  CHECK(contains_line(text, "flexilib_process_private_memory_bytes 1024"));
}

TEST_CASE("every metric is described once with HELP and TYPE", "[admin]") {
  MetricsSnapshot snapshot;
  snapshot.routes.push_back({"/a", {}});
  snapshot.routes.push_back({"/b", {}});
  const std::string text = metrics_text(snapshot);
  for (const char *name :
       {"flexilib_requests_total", "flexilib_route_requests_total", "flexilib_ttfb_seconds",
        "flexilib_route_ttlb_seconds", "flexilib_uptime_seconds"}) {
    const std::string type = std::string("# TYPE ") + name + " ";
    CHECK(text.find(type) != std::string::npos);
    CHECK(text.find(type) == text.rfind(type));
    CHECK(text.find(std::string("# HELP ") + name + " ") != std::string::npos);
  }
}

TEST_CASE("label values escape backslash, quote and newline", "[admin]") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_label_value("/plain") == "/plain");
}

TEST_CASE("process memory is read from smaps_rollup text", "[admin]") {
  const ProcessMemory memory =
      parse_smaps_rollup("55562b0a0000-7fff13528000 ---p 0 00:00 0 [rollup]\n"
                         "Rss:                1708 kB\n"
                         "Pss:                 402 kB\n"
                         "Pss_Anon:            108 kB\n"
                         "Pss_File:            294 kB\n");
  CHECK(memory.resident_bytes == 1708 * 1024);
  CHECK(memory.private_bytes == 108 * 1024);
  CHECK(parse_smaps_rollup("").resident_bytes == 0);
  CHECK(read_process_memory().resident_bytes > 0);
}
