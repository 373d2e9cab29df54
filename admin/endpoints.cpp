// What each admin endpoint answers, and the table that routes to them.
#include "admin/endpoints.hpp"

#include "admin/admin_checks.hpp"
#include "admin/metrics_text.hpp"
#include "admin/process_memory.hpp"
#include "admin/scope_figures.hpp"
#include "admin/stats_json.hpp"
#include "admin/upstream_json.hpp"
#include "diagnostics/diagnostic_log.hpp"

#include <chrono>
#include <cmath>

namespace flexilib::admin {

namespace {

using httplib::Request;
using httplib::Response;

nlohmann::json generation_or_null(uint64_t generation) {
  return generation == 0 ? nlohmann::json(nullptr) : nlohmann::json(generation);
}

nlohmann::json text_or_null(const std::string &text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

uint64_t requests_of(const std::shared_ptr<stats::Totals> &totals) {
  return totals ? totals->requests() : 0;
}

void answer_index(const Request &, Response &response, AdminContext &) {
  response.set_header("Vary", "Accept"); // a browser gets the dashboard page here
  nlohmann::json listing = nlohmann::json::array();
  for (const Endpoint &endpoint : endpoints())
    listing.push_back({{"method", endpoint.method},
                       {"path", endpoint.path},
                       {"help", endpoint.help},
                       {"mutates", endpoint.mutates}});
  send_json(response, 200, {{"endpoints", listing}});
}

void answer_requests(const Request &request, Response &response, AdminContext &context) {
  size_t limit = default_request_limit;
  if (request.has_param("limit")) {
    const std::optional<size_t> asked = parse_request_limit(request.get_param_value("limit"));
    if (!asked) {
      send_error(response, 400,
                 "limit must be a whole number from 0 to " + std::to_string(max_request_limit));
      return;
    }
    limit = *asked;
  }
  nlohmann::json records = nlohmann::json::array();
  for (const stats::RequestRecord &record : context.stats.recent(limit))
    records.push_back(record_json(record));
  send_json(response, 200,
            {{"ring_size", context.stats.ring_size()}, {"limit", limit}, {"requests", records}});
}

nlohmann::json scopes_json(const std::map<std::string, std::shared_ptr<stats::Totals>> &scopes) {
  nlohmann::json by_name = nlohmann::json::object();
  for (const auto &[name, totals] : scopes)
    by_name[name] = scope_json(figures_of(*totals));
  return by_name;
}

// Every upstream server the active routes name, once, by "host:port".
nlohmann::json upstreams_json(const std::shared_ptr<const loader::RouteTable> &table) {
  nlohmann::json by_server = nlohmann::json::object();
  if (!table) return by_server;
  for (const upstream::UpstreamServer *server : upstream_servers_of(*table))
    by_server[server->name()] = server_json(*server);
  return by_server;
}

void answer_stats(const Request &, Response &response, AdminContext &context) {
  const stats::RequestStats &stats = context.stats;
  const std::chrono::duration<double> uptime = std::chrono::steady_clock::now() - stats.started();
  nlohmann::json body = {{"uptime_s", std::round(uptime.count() * 1000.0) / 1000.0},
                         {"serving_threads", context.serving_threads},
                         {"memory", memory_json(read_process_memory())}};
  body.update(scope_json(figures_of(stats.server_totals())));
  body["routes"] = scopes_json(stats.all_route_totals());
  body["libraries"] = scopes_json(stats.all_library_totals());
  body["upstreams"] = upstreams_json(context.configuration.current());
  send_json(response, 200, body);
}

nlohmann::json route_json(const loader::Route &route) {
  const loader::Rule &rule = route.rule;
  const loader::SlotStatus status = route.target->status();
  const upstream::UpstreamGroup *group = route.target->upstream_group();
  return {{"route", route.name},
          {"line", rule.line},
          {"header_name", text_or_null(rule.header_name)},
          {"header_value_prefix", rule.header_name.empty()
                                      ? nlohmann::json(nullptr)
                                      : nlohmann::json(rule.header_value_prefix)},
          {"path_prefix", rule.path_prefix},
          {"target", rule.target},
          {"library", status.path},
          {"generation", generation_or_null(status.generation)},
          {"load_ms", round_to_microsecond(status.load_ms)},
          {"init_ms", round_to_microsecond(status.init_ms)},
          {"requests", requests_of(route.totals)},
          {"library_requests", requests_of(route.target_totals)},
          {"last_error", text_or_null(status.last_error)},
          {"upstreams", group == nullptr ? nlohmann::json(nullptr) : group_json(*group)}};
}

void answer_routes(const Request &, Response &response, AdminContext &context) {
  const std::shared_ptr<const loader::RouteTable> table = context.configuration.current();
  if (!table) {
    send_error(response, 503, "no configuration is loaded");
    return;
  }
  nlohmann::json routes = nlohmann::json::array();
  for (const loader::Route &route : table->routes)
    routes.push_back(route_json(route));
  send_json(response, 200, {{"config", table->config_path}, {"routes", routes}});
}

bool active_route_uses(const loader::Configuration &configuration, const std::string &path) {
  const std::shared_ptr<const loader::RouteTable> table = configuration.current();
  if (!table) return false;
  for (const loader::Route &route : table->routes)
    if (auto slot = route.target->library_slot(); slot && slot->path() == path) return true;
  return false;
}

void reload_library(const std::string &path, Response &response, AdminContext &context) {
  if (path.empty()) {
    send_error(response, 400, "library= needs the library path /routes shows");
    return;
  }
  if (!active_route_uses(context.configuration, path)) {
    send_error(response, 404, "no route of the active configuration uses " + path);
    return;
  }
  diagnostics::write_diagnostic("admin: reloading library " + path);
  const loader::ReloadOutcome outcome = context.configuration.reload_library(path);
  if (!outcome.loaded) {
    send_json(response, 422,
              {{"error", outcome.error},
               {"library", path},
               {"generation", generation_or_null(outcome.generation)}});
    return;
  }
  send_json(response, 200,
            {{"reloaded", "library"}, {"library", path}, {"generation", outcome.generation}});
}

void reload_configuration(Response &response, AdminContext &context) {
  const std::string &path = context.configuration.path();
  diagnostics::write_diagnostic("admin: reloading " + path);
  const loader::ConfigReloadOutcome outcome = context.configuration.reload();
  if (!outcome.applied) {
    send_json(response, 422,
              {{"error", "configuration not applied; the previous routes stay"},
               {"config", path},
               {"errors", outcome.errors}});
    return;
  }
  send_json(response, 200,
            {{"reloaded", "configuration"}, {"config", path}, {"rules", outcome.rule_count}});
}

void answer_reload(const Request &request, Response &response, AdminContext &context) {
  if (request.has_param("library")) {
    reload_library(request.get_param_value("library"), response, context);
    return;
  }
  reload_configuration(response, context);
}

// The admin server runs from after the serving threads start until before they stop,
// so an answer at all means they run (busy or not: this is liveness, not load).
void answer_healthz(const Request &, Response &response, AdminContext &) {
  send_json(response, 200, {{"status", "ok"}});
}

void answer_metrics(const Request &, Response &response, AdminContext &context) {
  MetricsSnapshot snapshot = take_metrics_snapshot(context.stats, read_process_memory());
  const Clock::rep now = now_ticks();
  if (const std::shared_ptr<const loader::RouteTable> table = context.configuration.current())
    for (const upstream::UpstreamServer *server : upstream_servers_of(*table))
      snapshot.upstreams.push_back({server->name(), server->up_at(now), server->figures()});
  response.status = 200;
  response.set_content(metrics_text(snapshot), "text/plain; version=0.0.4; charset=utf-8");
}

constexpr Endpoint endpoint_table[] = {
    {"GET", "/", "this list of endpoints (a browser, asking for text/html, gets the dashboard)",
     false, answer_index},
    {"GET", "/requests", "the most recent requests, newest first (?limit=N, default 100)", false,
     answer_requests},
    {"GET", "/stats",
     "figures since start: requests by status class, ttfb/ttlb percentiles, allocation, per "
     "route and per library, uptime, threads, memory",
     false, answer_stats},
    {"GET", "/routes",
     "the active rules in order with their library, generation, load and init time, requests "
     "served and last load error",
     false, answer_routes},
    {"POST", "/reload",
     "re-read the configuration as SIGHUP does, or reload one library with ?library=PATH", true,
     answer_reload},
    {"GET", "/healthz", "200 while the serving threads run", false, answer_healthz},
    {"GET", "/metrics", "request counters and latency histograms in Prometheus text format", false,
     answer_metrics},
};

bool serves_method(const Endpoint &endpoint, const std::string &method) {
  return endpoint.method == method || (endpoint.method == "GET" && method == "HEAD");
}

} // namespace

std::span<const Endpoint> endpoints() {
  return endpoint_table;
}

void dispatch(const Request &request, Response &response, AdminContext &context) {
  std::vector<std::string> allowed;
  for (const Endpoint &endpoint : endpoints()) {
    if (endpoint.path != request.path) continue;
    if (serves_method(endpoint, request.method)) {
      endpoint.handler(request, response, context);
      return;
    }
    allowed.emplace_back(endpoint.method);
    if (endpoint.method == "GET") allowed.emplace_back("HEAD");
  }
  if (allowed.empty()) {
    send_json(response, 404,
              {{"error", "no admin endpoint " + request.path}, {"endpoints", "GET /"}});
    return;
  }
  std::string allow;
  for (const std::string &method : allowed)
    allow += (allow.empty() ? "" : ", ") + method;
  response.set_header("Allow", allow);
  send_json(response, 405,
            {{"error", request.method + " is not allowed on " + request.path}, {"allow", allowed}});
}

void send_json(Response &response, int status, const nlohmann::json &body) {
  response.status = status;
  // Targets and route names are bytes as clients and proxy.ini sent them: replace
  // invalid UTF-8 rather than fail the answer.
  response.set_content(body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                       "application/json");
}

void send_error(Response &response, int status, const std::string &message) {
  send_json(response, status, {{"error", message}});
}

} // namespace flexilib::admin
