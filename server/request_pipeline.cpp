// The request path: a request -> cpp-httplib -> handler library -> response -> log.
#include "server/request_pipeline.hpp"

#include "faas/cloudflare.hpp"
#include "faas/lambda_invocation.hpp"
#include "loader/route_match.hpp"
#include "server/access_log.hpp"
#include "server/request_head.hpp"
#include "server/response_translation.hpp"
#include "server/zig_allocator.hpp"
#include "upstream/forwarded_headers.hpp"

namespace flexilib::server {

// What one request carries from step to step. It lives on the serving thread's stack;
// cpp-httplib's handler signature has no room for it, hence the thread-local pointer.
struct RequestContext {
  Connection &connection;
  ConnectionStream &stream;
  Arena &arena;
  RequestHead head;
  Clock::time_point start;
  Clock::time_point response_ready{};
  Clock::time_point end{};
  std::chrono::system_clock::time_point wall_start = std::chrono::system_clock::now();
  std::shared_ptr<const loader::RouteTable> table{};
  std::shared_ptr<loader::Library> library{}; // keeps the generation loaded until done
  int rule = -1;                              // index into table->rules, -1: none matched
  size_t body_length = 0;                     // from Content-Length, already checked
  bool chunked = false;
  bool continue_sent = false; // "100 Continue" went out while the body was collected
  ServingThread *thread = nullptr;
  int cold = -1;          // the generation's first request: 1, a later one: 0
  int64_t billed_ms = -1; // what Lambda would bill, for Lambda routes
};
namespace {

thread_local RequestContext *current_request = nullptr;

// cpp-httplib must not apply Range or compress bodies: the handler's response goes
// out as the handler made it; nor parse form bodies (it would empty a multipart body
// into req.files and refuse urlencoded ones over 8 KiB). The library still sees all
// these headers, from the raw head.
// A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3),
// but cpp-httplib would read one until the connection closes: say so. Nor may it send
// a second "100 Continue" for a body that has already come.
void prepare_for_httplib(httplib::Request &request) {
  request.ranges.clear();
  if (current_request != nullptr && current_request->continue_sent) request.headers.erase("Expect");
  request.headers.erase("Accept-Encoding");
  request.headers.erase("Content-Type");
  if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding"))
    request.set_header("Content-Length", "0");
}
const std::function<void(httplib::Request &)> httplib_request_setup = prepare_for_httplib;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// cpp-httplib reads a body only for these methods; the others are answered before it
// looks for one, without its regex-based routing.
bool method_has_body(const std::string &method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

void respond_with_error(httplib::Response &response, int status, const std::string &text) {
  response.status = status;
  response.set_content(text + "\n", "text/plain");
}

} // namespace

RequestPipeline::RequestPipeline(loader::Configuration &configuration, PipelineLimits limits,
                                 stats::RequestStats *stats, process::CrashPage *crash_page)
    : configuration_(configuration), limits_(limits), stats_(stats), crash_page_(crash_page) {
  using httplib::Server;
  parser_.set_keep_alive_max_count(limits_.max_requests_per_connection);
  parser_.set_keep_alive_timeout(limits_.keep_alive_seconds);
  parser_.set_payload_max_length(limits_.framing.max_body_bytes);
  parser_.set_pre_routing_handler(
      [this](const httplib::Request &request, httplib::Response &response) {
        if (method_has_body(request.method)) return Server::HandlerResponse::Unhandled;
        handle(request, response);
        return Server::HandlerResponse::Handled;
      });
  auto handler = [this](const httplib::Request &request, httplib::Response &response) {
    handle(request, response);
  };
  parser_.Post(".*", handler).Put(".*", handler).Patch(".*", handler).Delete(".*", handler);
}

// ---- The steps of one request, in order -------------------------------------------

namespace {

int match_route(RequestContext &context, const httplib::Request &request) {
  if (!context.table) return -1;
  return loader::match_rule(context.table->rules, request.target, context.head.headers,
                            context.head.header_count);
}

// cpp-httplib reads bodies only for POST, PUT, PATCH and DELETE. Another method may
// carry one too (a GET with a body is unusual but legal): read it here, so that the
// library sees it and the next request on the connection starts where it should.
bool read_body_httplib_skips(RequestContext &context, std::string &body) {
  body.resize(context.body_length);
  size_t have = 0;
  while (have < body.size()) {
    const ssize_t got = context.stream.read(body.data() + have, body.size() - have);
    if (got <= 0) return false;
    have += size_t(got);
  }
  return true;
}

flexilib_request build_c_request(const RequestContext &context, const httplib::Request &request,
                                 std::string_view body) {
  return flexilib_request{
      request.target.data(),
      request.target.size(),
      const_cast<char *>(request.method.c_str()),
      request.method.size(),
      const_cast<char *>(body.data()),
      body.size(),
      context.head.headers,
      context.head.header_count,
  };
}

} // namespace

namespace {

// A rule whose target is an upstream: the request goes out through this thread's
// client for it and the answer comes back filtered (see upstream/). No handler runs,
// so the handler deadline does not apply; UPSTREAM_READ_TIMEOUT_MS bounds the wait.
void forward_to_upstream(RequestContext &context, const httplib::Request &request,
                         std::string_view body, const upstream::UpstreamUrl &url,
                         const upstream::UpstreamTimeouts &timeouts, httplib::Response &response) {
  const loader::Rule &rule = context.table->rules[size_t(context.rule)];
  upstream::OutgoingRequest outgoing{
      request.method, upstream::rewrite_target(request.target, rule.path_prefix, url.path),
      upstream::upstream_request_headers({context.head.headers, context.head.header_count},
                                         {context.connection.peer_ip, request.version}),
      body};
  const upstream::ForwardOutcome outcome = upstream::forward(url, outgoing, timeouts, response);
  context.response_ready = outcome.head_arrived;
  if (outcome.failure_status == 0) {
    context.stream.set_reason_phrase(response.reason);
    return;
  }
  write_diagnostic("upstream " + url.text + ": " + outcome.failure + " (" + request.method + " " +
                   request.target + "), answered " + std::to_string(outcome.failure_status));
  respond_with_error(response, outcome.failure_status,
                     outcome.failure_status == 504
                         ? "504 Gateway Timeout: the upstream did not answer in time"
                         : "502 Bad Gateway: the upstream cannot be reached");
}

// Marks the serving thread as running a handler, for the crash page and the handler
// deadline, from construction to destruction.
class HandlerWindow {
public:
  HandlerWindow(RequestContext &context, process::CrashPage *crash_page,
                const httplib::Request &request)
      : context_(context), crash_page_(crash_page) {
    const unsigned thread = context.thread->index;
    const std::string &route = context.table->route_names[size_t(context.rule)];
    const loader::Library &library = *context.library;
    if (crash_page_)
      crash_page_->enter(thread, request.method, request.target, route, library.path(),
                         library.generation());
    context.thread->enter_handler(context.connection, {request.method, request.target, route,
                                                       library.path(), library.generation()});
  }
  ~HandlerWindow() {
    context_.thread->leave_handler();
    if (crash_page_) crash_page_->leave(context_.thread->index);
  }
  HandlerWindow(const HandlerWindow &) = delete;
  HandlerWindow &operator=(const HandlerWindow &) = delete;

private:
  RequestContext &context_;
  process::CrashPage *crash_page_;
};

// The entry point a profile calls, when the library lacks it (the loader accepts a
// library exporting either handle_request or lambda_handler).
const char *missing_entry_point(const loader::Library &library, faas::Provider provider) {
  if (provider == faas::Provider::lambda)
    return library.lambda_handler() ? nullptr : "lambda_handler";
  return library.has_handle_request() ? nullptr : "handle_request";
}

// A Lambda route: the request becomes an API Gateway event; API Gateway's answer,
// whatever the function did, becomes the response (see faas/).
void answer_from_lambda(RequestContext &context, const httplib::Request &request,
                        std::string_view body, const faas::RouteProfile &profile,
                        httplib::Response &response) {
  faas::HttpRequestView view{
      request.method, request.target, request.version, context.connection.peer_ip, body, {}};
  for (size_t i = 0; i < context.head.header_count; ++i) {
    const flexilib_header &header = context.head.headers[i];
    view.headers.emplace_back(std::string_view(header.name_ptr, header.name_len),
                              std::string_view(header.value_ptr, header.value_len));
  }
  faas::LambdaOutcome outcome =
      faas::invoke_lambda(*context.library, profile, view, context.cold == 1);
  context.response_ready = Clock::now();
  if (outcome.invoked) context.billed_ms = outcome.billed_ms;
  std::string content_type = "application/json";
  response.status = outcome.response.status;
  for (auto &[name, value] : outcome.response.headers) {
    if (name == "content-type")
      content_type = std::move(value);
    else
      response.headers.emplace(std::move(name), std::move(value));
  }
  response.set_content(std::move(outcome.response.body), content_type);
}

// Cloudflare's edge headers go after the client's, replacing any the client sent.
// Their strings live in thread-local storage until the next request on this thread.
void add_cloudflare_headers(RequestContext &context, flexilib_request &c_request) {
  thread_local std::vector<std::pair<std::string, std::string>> added;
  added = faas::cloudflare_headers(context.connection.peer_ip);
  const size_t capacity = c_request.headers_len + added.size();
  auto *headers =
      static_cast<flexilib_header *>(context.arena.allocate(capacity * sizeof(flexilib_header)));
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
                         httplib::Response &response) {
  const std::string ray = faas::random_ray_id();
  char figures[96];
  std::snprintf(figures, sizeof figures, "used %.3f ms of CPU time, over cpu_ms=%d", cpu_used_ms,
                profile.cpu_ms);
  write_diagnostic(library + ": " + figures + " (" + request.method + " " + request.target +
                   "), answered 503 (Cloudflare error 1102, ray " + ray + ")");
  response.status = faas::worker_limit_status;
  response.set_content(faas::worker_limit_page(ray), "text/html; charset=UTF-8");
}

} // namespace

void RequestPipeline::handle(const httplib::Request &request, httplib::Response &response) {
  RequestContext &context = *current_request;
  std::string_view body = request.body;
  thread_local std::string skipped_body;
  if (!method_has_body(request.method) && (context.body_length > 0 || context.chunked)) {
    if (context.chunked || !read_body_httplib_skips(context, skipped_body))
      return respond_with_error(response, 400,
                                "400 Bad Request: a chunked body is only read for POST, PUT, "
                                "PATCH and DELETE");
    body = skipped_body;
  }
  context.table = configuration_.current();

  const int rule = context.rule = match_route(context, request);
  if (rule < 0) return respond_with_error(response, 404, "404 Not Found: no route matches");
  if (const auto &upstream = context.table->upstreams[size_t(rule)])
    return forward_to_upstream(context, request, body, *upstream, limits_.upstream_timeouts,
                               response);

  std::string error;
  context.library = context.table->libraries[size_t(rule)]->acquire(error);
  if (!context.library)
    return respond_with_error(response, 502,
                              "502 Bad Gateway: the handler library for this route cannot "
                              "be loaded (the server log says why)");
  context.cold = context.library->take_cold_start() ? 1 : 0;
  const faas::RouteProfile &profile = context.table->profiles[size_t(rule)];
  if (const char *missing = missing_entry_point(*context.library, profile.provider)) {
    write_diagnostic(context.library->path() + ": does not export " + missing + ", which its " +
                     std::string(faas::provider_name(profile.provider)) + " route needs");
    return respond_with_error(response, 502,
                              "502 Bad Gateway: the handler library does not fit this route");
  }

  if (profile.provider == faas::Provider::lambda) {
    const HandlerWindow window(context, crash_page_, request);
    return answer_from_lambda(context, request, body, profile, response);
  }
  flexilib_request c_request = build_c_request(context, request, body);
  const bool cloudflare = profile.provider == faas::Provider::cloudflare;
  if (cloudflare) add_cloudflare_headers(context, c_request);
  flexilib_response *c_response = nullptr;
  double cpu_used_ms = 0; // measured for Cloudflare routes only
  {
    const HandlerWindow window(context, crash_page_, request);
    const double cpu_before_ms = cloudflare ? thread_cpu_ms() : 0;
    context.library->zig_init(zig_allocator_for(context.arena));
    c_response = context.library->handle_request(&c_request);
    if (cloudflare) cpu_used_ms = thread_cpu_ms() - cpu_before_ms;
    context.response_ready = Clock::now();
  }
  const std::string &library = context.library->path();
  if (cloudflare && cpu_used_ms > profile.cpu_ms)
    return answer_worker_limit(request, library, cpu_used_ms, profile, response);
  if (c_response == nullptr) {
    write_diagnostic(library + ": handle_request returned NULL for " + request.method + " " +
                     request.target);
    return respond_with_error(response, 500, "500 Internal Server Error: the handler failed");
  }
  if (std::string problem = translate_response(*c_response, response, context.stream);
      !problem.empty()) {
    write_diagnostic(library + ": " + problem + " (" + request.method + " " + request.target + ")");
    response = httplib::Response();
    context.stream.set_reason_phrase({});
    respond_with_error(response, 500,
                       "500 Internal Server Error: the handler's response is invalid");
  }
}

bool RequestPipeline::serve_one(Connection &connection, ConnectionStream &stream,
                                ServingThread &thread, size_t head_length, bool last_on_connection,
                                bool continue_sent) {
  // The head is copied before cpp-httplib consumes it: the headers handed to the
  // library point into this copy, which a buffer refill for the body cannot move.
  thread_local std::string head;
  head.assign(thread.buffers.unread().substr(0, head_length));

  Arena &arena = thread.arena;
  RequestContext context{connection, stream, arena, parse_request_head(head, arena), Clock::now()};
  context.thread = &thread;
  context.continue_sent = continue_sent;
  current_request = &context;
  stream.reset_response();

  bool ok = false;
  bool connection_closed = false;
  FramingVerdict framing = check_head_syntax(head);
  if (framing.status == 0) framing = check_framing(context.head, limits_.framing);
  if (framing.status != 0) {
    write_diagnostic(connection.peer + ": " + std::string(framing.problem) + ", answered " +
                     std::to_string(framing.status));
    thread.buffers.begin = thread.buffers.end; // nothing more is read from this connection
    stream.write_refusal(framing.status);
  } else {
    context.body_length = framing.content_length;
    context.chunked = framing.chunked;
    stream.begin_request(head_length, framing.chunked
                                          ? std::optional(limits_.framing.max_body_bytes)
                                          : std::nullopt);
    ok = parser_.process_request(stream, last_on_connection, connection_closed,
                                 httplib_request_setup);
    // cpp-httplib answers a body it could not read with 400; the truth is better.
    if (stream.body_too_large() || stream.read_timed_out()) {
      const int status = stream.body_too_large() ? 413 : 408;
      write_diagnostic(
          connection.peer +
          (status == 413 ? ": chunked body over MAX_BODY_KB" : ": body stopped arriving") +
          ", answered " + std::to_string(status));
      stream.discard_response();
      stream.write_refusal(status);
      ok = false;
    }
  }
  ok = stream.flush() && ok && !is_refusal(stream.response_status());
  if (context.library) context.library->request_deinit();
  context.end = Clock::now();
  ++connection.requests_served;

  record(context, thread.index);
  current_request = nullptr;
  arena.reset();
  return ok && !connection_closed && !last_on_connection;
}

// The last step: the log line and the admin figures.
void RequestPipeline::record(const RequestContext &context, unsigned thread) {
  const Clock::time_point ready =
      context.response_ready == Clock::time_point{} ? context.end : context.response_ready;
  const double ttfb_ms = ms_between(context.start, ready);
  const double ttlb_ms = ms_between(context.start, context.end);
  const ConnectionStream &stream = context.stream;
  write_access_log({context.connection.peer, context.head.request_line, stream.response_status(),
                    ttfb_ms, stream.response_body_bytes(), ttlb_ms, context.arena.capacity(),
                    context.arena.allocated()});
  if (stats_ == nullptr) return;

  const std::string_view line = context.head.request_line;
  const size_t method_end = std::min(line.find(' '), line.size());
  const size_t target_end = std::min(line.find(' ', method_end + 1), line.size());
  stats::RequestSample sample;
  sample.time = context.wall_start;
  sample.client = context.connection.peer;
  sample.method = line.substr(0, method_end);
  sample.target = line.substr(std::min(method_end + 1, line.size()), target_end - method_end - 1);
  sample.status = stream.response_status();
  sample.body_bytes = stream.response_body_bytes();
  sample.ttfb_ms = ttfb_ms;
  sample.ttlb_ms = ttlb_ms;
  sample.prealloc_bytes = context.arena.capacity();
  sample.alloc_bytes = context.arena.allocated();
  sample.thread = thread;
  stats::Totals *route = nullptr, *library = nullptr;
  if (context.rule >= 0) {
    const size_t rule = size_t(context.rule);
    sample.route = context.table->route_names[rule];
    sample.library = context.table->target_names[rule];
    route = context.table->route_totals[rule].get();
    library = context.table->library_totals[rule].get();
  }
  if (context.library) {
    sample.generation = context.library->generation();
    sample.profile = faas::provider_name(context.table->profiles[size_t(context.rule)].provider);
  }
  sample.cold = context.cold;
  sample.billed_ms = context.billed_ms;
  stats_->record(sample, route, library);
}

} // namespace flexilib::server
