// Serving a request as a Cloudflare Worker: edge headers, CPU time, error 1102.
#include "targets/cloudflare_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "faas/cloudflare.hpp"
#include "targets/handler_window.hpp"

#include <ctime>

namespace flexilib::targets {

namespace {

// Cloudflare's edge headers go after the client's, replacing any the client sent.
// Their strings live in thread-local storage until the next request on this thread.
void add_cloudflare_headers(Exchange &exchange, flexilib_request &c_request) {
  thread_local std::vector<std::pair<std::string, std::string>> added;
  added = faas::cloudflare_headers(exchange.connection.peer_ip);
  const size_t capacity = c_request.headers_len + added.size();
  auto *headers =
      static_cast<flexilib_header *>(exchange.arena.allocate(capacity * sizeof(flexilib_header)));
  if (headers == nullptr) return;
  size_t count = 0;
  for (size_t i = 0; i < c_request.headers_len; ++i) {
    const flexilib_header &header = c_request.headers[i];
    if (!faas::is_cloudflare_header({header.name_ptr, header.name_len})) headers[count++] = header;
  }
  for (auto &[name, value] : added)
    headers[count++] = {name.data(), name.size(), value.data(), value.size()};
  c_request.headers = headers;
  c_request.headers_len = count;
}

double thread_cpu_ms() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) * 1e3 + double(now.tv_nsec) / 1e6;
}

// Cloudflare stops a Worker that runs past its CPU limit and answers error 1102; here
// the handler has finished, so its response is dropped instead.
void answer_worker_limit(const httplib::Request &request, const std::string &library,
                         double cpu_used_ms, const faas::RouteProfile &profile,
                         server::ResponseMessage &response) {
  const std::string ray = faas::random_ray_id();
  char figures[96];
  std::snprintf(figures, sizeof figures, "used %.3f ms of CPU time, over cpu_ms=%d", cpu_used_ms,
                profile.cpu_ms);
  diagnostics::write_diagnostic(library + ": " + figures + " (" + request.method + " " +
                                request.target + "), answered 503 (Cloudflare error 1102, ray " +
                                ray + ")");
  response.clear();
  response.status = faas::worker_limit_status;
  response.content_type = "text/html; charset=UTF-8";
  response.set_owned_body(faas::worker_limit_page(ray));
}

} // namespace

void CloudflareTarget::serve(Exchange &exchange, server::ResponseMessage &response) const {
  const loader::Library *library = take_library(exchange, response);
  if (library == nullptr) return;
  flexilib_request c_request = c_request_of(exchange);
  add_cloudflare_headers(exchange, c_request);
  HandlerResult c_response;
  double cpu_used_ms = 0;
  {
    const HandlerWindow window(exchange, *library);
    const double cpu_before_ms = thread_cpu_ms();
    c_response = call_handle_request(*library, exchange, c_request);
    cpu_used_ms = thread_cpu_ms() - cpu_before_ms;
    exchange.response_ready = std::chrono::steady_clock::now();
  }
  if (cpu_used_ms > profile_.cpu_ms)
    return answer_worker_limit(exchange.request, library->path(), cpu_used_ms, profile_, response);
  answer_from_c_response(exchange, c_response, response);
}

} // namespace flexilib::targets
