// The admin dashboard: one page for a person in a browser (routes, live requests,
// latency histograms, requests per second, a reload button), kept readable as
// admin/dashboard.html and compiled into the binary, so it is served with nothing to
// install and fetches nothing but the admin endpoints of the server that sent it.
#pragma once

#include <httplib.h>
#include <string_view>

namespace flexilib::admin {

// admin/dashboard.html, embedded at build time (cmake/embed_file.cmake).
std::string_view dashboard_html();

// GET or HEAD / from a client that prefers HTML (a browser). The page holds no data:
// it asks the JSON endpoints for everything, with the token a person types into it,
// so it is served before the token check; the Host check still applies.
bool wants_dashboard(const httplib::Request &request);

// The page, with a Content-Security-Policy that lets it run its inline script and
// style and talk only to this origin: the browser itself refuses anything else.
void send_dashboard(httplib::Response &response);

} // namespace flexilib::admin
