// The admin endpoints, Envoy-style: one table names each endpoint's method, path,
// one-line help and whether it changes state. The table alone drives routing, the
// 405 answers (with Allow) and the index at GET /, so the listing never drifts from
// what is served.
#pragma once

#include "loader/configuration.hpp"
#include "stats/request_stats.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace flexilib::admin {

// What the endpoints read and act on. Everything outlives the admin server.
struct AdminContext {
  loader::Configuration &configuration;
  stats::RequestStats &stats;
  size_t serving_threads = 0;
};

using EndpointHandler = void (*)(const httplib::Request &, httplib::Response &, AdminContext &);

struct Endpoint {
  std::string_view method;
  std::string_view path;
  std::string_view help;
  bool mutates = false;
  EndpointHandler handler = nullptr;
};

std::span<const Endpoint> endpoints();

// Answers a request that has passed the admin server's checks: the handler of the
// endpoint for its path and method, 405 when the path has other methods only,
// 404 when no endpoint has the path. HEAD is served by a GET endpoint.
void dispatch(const httplib::Request &request, httplib::Response &response, AdminContext &context);

// Every admin answer but /metrics is JSON; errors are {"error": "..."}.
void send_json(httplib::Response &response, int status, const nlohmann::json &body);
void send_error(httplib::Response &response, int status, const std::string &message);

} // namespace flexilib::admin
