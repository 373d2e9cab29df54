// Serving the dashboard page to browsers.
#include "admin/dashboard.hpp"

#include "admin/content_negotiation.hpp"

#include <string>

namespace flexilib::admin {

namespace {

constexpr const char *content_security_policy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

} // namespace

bool wants_dashboard(const httplib::Request &request) {
  return request.path == "/" && (request.method == "GET" || request.method == "HEAD") &&
         prefers_html(request.get_header_value("Accept"));
}

void send_dashboard(httplib::Response &response) {
  response.status = 200;
  response.set_header("Content-Security-Policy", content_security_policy);
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-cache");
  response.set_header("Vary", "Accept");
  const std::string_view page = dashboard_html();
  response.set_content(std::string(page), "text/html; charset=utf-8");
}

} // namespace flexilib::admin
