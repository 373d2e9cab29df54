// The request path: a request -> (cpp-httplib for a body) -> route target -> our
// response writer -> log.
#include "server/request_pipeline.hpp"

#include "loader/entry_point_call.hpp"
#include "server/access_log.hpp"
#include "server/error_response.hpp"
#include "server/escaped_exception.hpp"
#include "server/request_head.hpp"
#include "server/request_line.hpp"
#include "targets/exchange.hpp"

namespace flexilib::server {

// What one request carries from step to step. It lives on the serving thread's stack;
// cpp-httplib's handler signature has no room for it, hence the thread-local pointer.
// `response` is what the target answers; cpp-httplib's own Response is never used.
struct RequestContext {
  Connection &connection;
  ConnectionStream &stream;
  Arena &arena;
  RequestHead head;
  Clock::time_point start;
  Clock::time_point end{};
  std::chrono::system_clock::time_point wall_start = std::chrono::system_clock::now();
  std::shared_ptr<const loader::RouteTable> table{};
  const loader::Route *route = nullptr; // null: none matched
  size_t body_length = 0;               // from Content-Length, already checked
  bool chunked = false;
  bool continue_sent = false; // "100 Continue" went out while the body was collected
  ServingThread *thread = nullptr;
  std::optional<targets::Exchange> exchange{}; // once a route matched: what its target did
  bool last_on_connection = false;
  bool closes = false; // the connection closes after this response
  ResponseMessage response{};
};
namespace {

thread_local RequestContext *current_request = nullptr;

// cpp-httplib reads a body only for these methods; the others are answered before it
// looks for one, without its regex-based routing.
bool method_has_body(const std::string &method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

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
  // Other methods: cpp-httplib reads no body for them, and the header would cost two
  // allocations a request.
  if (method_has_body(request.method) && !request.has_header("Content-Length") &&
      !request.has_header("Transfer-Encoding"))
    request.set_header("Content-Length", "0");
}
const std::function<void(httplib::Request &)> httplib_request_setup = prepare_for_httplib;

} // namespace

RequestPipeline::RequestPipeline(loader::Configuration &configuration, PipelineLimits limits,
                                 stats::RequestStats *stats, process::CrashPage *crash_page)
    : configuration_(configuration), limits_(limits), stats_(stats), crash_page_(crash_page) {
  using httplib::Server;
  parser_.set_keep_alive_max_count(limits_.max_requests_per_connection);
  parser_.set_keep_alive_timeout(limits_.keep_alive_seconds);
  parser_.set_payload_max_length(limits_.framing.max_body_bytes);
  parser_.set_pre_routing_handler([this](const httplib::Request &request, httplib::Response &) {
    if (method_has_body(request.method)) return Server::HandlerResponse::Unhandled;
    handle(request);
    return Server::HandlerResponse::Handled;
  });
  auto handler = [this](const httplib::Request &request, httplib::Response &) { handle(request); };
  parser_.Post(".*", handler).Put(".*", handler).Patch(".*", handler).Delete(".*", handler);
  // What escapes the request path (a library's own exceptions stop at call_entry_point).
  parser_.set_exception_handler(
      [this](const httplib::Request &request, httplib::Response &, std::exception_ptr escaped) {
        answer_escaped(request, escaped);
      });
}

// ---- The steps of one request, in order -------------------------------------------

namespace {

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

// Whether the connection closes after the response: the server's keep-alive cap, or
// the client's wish, read by cpp-httplib's own rule (which decides it for the requests
// it reads).
bool client_closes(const httplib::Request &request, const RequestHead &head) {
  const flexilib_header *field = find_header(head.headers, head.header_count, "connection");
  const std::string_view connection =
      field ? std::string_view(field->value_ptr, field->value_len) : std::string_view();
  return connection == "close" || (request.version == "HTTP/1.0" && connection != "Keep-Alive");
}

} // namespace

// The steps after the request has been read: answer it, write the answer.
void RequestPipeline::handle(const httplib::Request &request) {
  RequestContext &context = *current_request;
  answer(context, request);
  write_response(context, request);
}

// Read the body, match the route, let its target serve.
void RequestPipeline::answer(RequestContext &context, const httplib::Request &request) {
  ResponseMessage &response = context.response;
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
  if (context.table)
    context.route =
        context.table->match(request.target, context.head.headers, context.head.header_count);
  if (context.route == nullptr)
    return respond_with_error(response, 404, "404 Not Found: no route matches");

  const loader::Route &route = *context.route;
  targets::Exchange &exchange = context.exchange.emplace(
      targets::Exchange{request, body, context.head.headers, context.head.header_count, route.name,
                        route.rule.path_prefix, context.connection, context.stream, context.arena,
                        *context.thread, crash_page_});
  route.target->serve(exchange, response);
}

void RequestPipeline::answer_escaped(const httplib::Request &request, std::exception_ptr escaped) {
  RequestContext &context = *current_request;
  answer_escaped_exception("serving", request, context.response, escaped);
  if (context.stream.response_started()) { // too late for a 500: the response is cut off
    context.stream.close_after_response();
    return;
  }
  write_response(context, request);
}

// The target's answer, framed by the server. A target that wrote to the client itself
// (a relayed response) leaves nothing to write; one that wrote nothing at all gets a
// 500, so that the client is never left waiting.
void RequestPipeline::write_response(RequestContext &context, const httplib::Request &request) {
  if (context.stream.response_started()) return;
  if (context.response.status == 0)
    respond_with_error(context.response, 500, "500 Internal Server Error: no answer");
  context.closes = context.closes || context.last_on_connection ||
                   client_closes(request, context.head) || context.stream.closes_after_response();
  const ConnectionTerms terms{context.closes, limits_.keep_alive_seconds,
                              limits_.max_requests_per_connection};
  context.stream.send_response(context.response, terms, request.method == "HEAD");
}

// A request without a body is answered from the head the server has parsed, without
// cpp-httplib: it would build header maps, a second copy of every field, and
// format its response with printf, for nothing the target needs. The request object
// the targets see carries the method, target and version, and the Connection field
// (UpstreamTarget reads it); the targets take every other field from the raw head.
bool RequestPipeline::serve_without_body(RequestContext &context, size_t head_length) {
  ConnectionStream &stream = context.stream;
  stream.begin_request(0, std::nullopt);
  context.thread->buffers.begin += head_length;
  const std::optional<RequestLine> line = split_request_line(context.head.request_line);
  if (!line) {
    write_diagnostic(context.connection.peer + ": malformed request line, answered 400");
    stream.write_refusal(400);
    return false;
  }
  thread_local httplib::Request request;
  request.method.assign(line->method);
  request.target.assign(line->target);
  request.version.assign(line->version);
  request.headers.clear();
  const RequestHead &head = context.head;
  if (const flexilib_header *field = find_header(head.headers, head.header_count, "connection"))
    request.headers.emplace("Connection", std::string(field->value_ptr, field->value_len));
  try {
    handle(request);
  } catch (...) {
    answer_escaped(request, std::current_exception());
  }
  return !context.closes;
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
  context.last_on_connection = last_on_connection;
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
  } else if (framing.content_length == 0 && !framing.chunked &&
             find_header(context.head.headers, context.head.header_count, "expect") == nullptr) {
    context.body_length = 0;
    ok = serve_without_body(context, head_length);
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
  // The server's own refusal means the stream may not be where the next request starts;
  // a route target's 400 or 413 (a handler's, an upstream's) came after a whole request.
  const bool refused_by_server = is_refusal(stream.response_status()) && !context.exchange;
  ok = stream.flush() && ok && !refused_by_server && !stream.closes_after_response() &&
       !context.closes;
  if (context.exchange && context.exchange->library)
    loader::call_entry_point({context.exchange->library->path(), "request_deinit",
                              context.exchange->route, context.head.request_line},
                             [&] { context.exchange->library->request_deinit(); });
  context.end = Clock::now();
  ++connection.requests_served;

  if (connection.parked) {
    keep_for_record(context, *connection.parked); // logged once its answer is out
  } else {
    record(context, thread.index);
  }
  current_request = nullptr;
  arena.reset();
  return ok && !connection_closed && !last_on_connection;
}

// The last step: the log line and the admin figures.
void RequestPipeline::record(const RequestContext &context, unsigned thread) {
  const targets::Exchange *exchange = context.exchange ? &*context.exchange : nullptr;
  const Clock::time_point ready =
      exchange == nullptr || exchange->response_ready == Clock::time_point{}
          ? context.end
          : exchange->response_ready;
  const ConnectionStream &stream = context.stream;
  stats::RequestSample sample;
  sample.time = context.wall_start;
  sample.client = context.connection.peer;
  sample.status = stream.response_status();
  sample.body_bytes = stream.response_body_bytes();
  sample.ttfb_ms = ms_between(context.start, ready);
  sample.ttlb_ms = ms_between(context.start, context.end);
  sample.prealloc_bytes = context.arena.capacity();
  sample.alloc_bytes = context.arena.allocated();
  sample.thread = thread;
  if (exchange != nullptr && exchange->library) {
    sample.generation = exchange->library->generation();
    sample.profile = context.route->target->profile();
  }
  if (exchange != nullptr) {
    sample.cold = exchange->cold;
    sample.billed_ms = exchange->billed_ms;
  }
  write_record(context.thread->log, context.head.request_line, context.route, sample);
}

// One request's log line and, with the admin endpoint on, its figures: for a request
// served on one turn (record) and for one that was parked (record_parked) alike.
void RequestPipeline::write_record(AccessLogBuffer &log, std::string_view request_line,
                                   const loader::Route *route, stats::RequestSample &sample) {
  log.append({sample.client, request_line, sample.status, sample.ttfb_ms, sample.body_bytes,
              sample.ttlb_ms, sample.prealloc_bytes, sample.alloc_bytes});
  if (stats_ == nullptr) return;

  const size_t method_end = std::min(request_line.find(' '), request_line.size());
  const size_t target_end = std::min(request_line.find(' ', method_end + 1), request_line.size());
  sample.method = request_line.substr(0, method_end);
  sample.target = request_line.substr(std::min(method_end + 1, request_line.size()),
                                      target_end - method_end - 1);
  stats::Totals *route_totals = nullptr, *target_totals = nullptr;
  if (route != nullptr) {
    sample.route = route->name;
    sample.library = route->target->name();
    route_totals = route->totals.get();
    target_totals = route->target_totals.get();
  }
  stats_->record(sample, route_totals, target_totals);
}

// ---- A request parked with its connection (issue 15) --------------------------------
// A proxied request waiting for its upstream leaves the thread (server::ParkedExchange);
// what its log line and figures need is kept with it, and recorded once it is done.

void RequestPipeline::keep_for_record(const RequestContext &context, ParkedExchange &parked) {
  ParkedRecord &kept = parked.record;
  kept.request_line.assign(context.head.request_line);
  kept.start = context.start;
  kept.wall_start = context.wall_start;
  kept.table = context.table;
  kept.route = context.route;
  kept.prealloc_bytes = context.arena.capacity();
  kept.alloc_bytes = context.arena.allocated();
}

void RequestPipeline::record_parked(const Connection &connection, ServingThread &thread) {
  const ParkedExchange &parked = *connection.parked;
  const ParkedRecord &kept = parked.record;
  const Clock::time_point end = Clock::now();
  const Clock::time_point ready =
      parked.response_ready() == Clock::time_point{} ? end : parked.response_ready();
  stats::RequestSample sample;
  sample.time = kept.wall_start;
  sample.client = connection.peer;
  sample.status = parked.status();
  sample.body_bytes = parked.body_bytes();
  sample.ttfb_ms = ms_between(kept.start, ready);
  sample.ttlb_ms = ms_between(kept.start, end);
  sample.prealloc_bytes = kept.prealloc_bytes;
  sample.alloc_bytes = kept.alloc_bytes;
  sample.thread = thread.index;
  write_record(thread.log, kept.request_line, kept.route, sample);
}

} // namespace flexilib::server
