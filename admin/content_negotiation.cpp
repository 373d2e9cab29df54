// Reading media ranges and their q values from an Accept header (RFC 9110 12.5.1).
#include "admin/content_negotiation.hpp"

#include "http/case_insensitive.hpp"
#include "http/whitespace.hpp"

#include <algorithm>
#include <charconv>

namespace flexilib::admin {

namespace {

using http::equals_ignoring_case;
using http::trim;

// The q parameter among a media range's parameters ("level=1;q=0.5"); 1 when absent,
// 0 when malformed (a range the client did not say it wants clearly is not chosen).
double quality_of(std::string_view parameters) {
  while (!parameters.empty()) {
    const size_t semicolon = parameters.find(';');
    const std::string_view parameter = trim(parameters.substr(0, semicolon));
    parameters = semicolon == std::string_view::npos ? "" : parameters.substr(semicolon + 1);
    if (parameter.size() < 2 || !equals_ignoring_case(parameter.substr(0, 2), "q=")) continue;
    const std::string_view value = parameter.substr(2);
    double q = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (error != std::errc() || end != value.data() + value.size()) return 0;
    return std::clamp(q, 0.0, 1.0);
  }
  return 1;
}

} // namespace

bool prefers_html(std::string_view accept) {
  double html = 0, json = -1; // -1: application/json not named
  while (!accept.empty()) {
    const size_t comma = accept.find(',');
    const std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? "" : accept.substr(comma + 1);
    const size_t semicolon = range.find(';');
    const std::string_view type = trim(range.substr(0, semicolon));
    const double q =
        quality_of(semicolon == std::string_view::npos ? "" : range.substr(semicolon + 1));
    if (equals_ignoring_case(type, "text/html") ||
        equals_ignoring_case(type, "application/xhtml+xml"))
      html = std::max(html, q);
    else if (equals_ignoring_case(type, "application/json") ||
             equals_ignoring_case(type, "application/*"))
      json = std::max(json, q);
  }
  return html > 0 && html >= json;
}

} // namespace flexilib::admin
