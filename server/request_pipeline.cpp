// The request path: connection bytes -> cpp-httplib -> handler library -> response -> log.
#include "server/request_pipeline.hpp"

#include "loader/route_match.hpp"
#include "server/access_log.hpp"
#include "server/request_head.hpp"

#include <cstring>
#include <strings.h>

namespace flexilib::server {

namespace {

// What one request carries from step to step. It lives on the serving thread's stack;
// cpp-httplib's handler signature has no room for it, hence the thread-local pointer.
struct RequestContext {
  Connection &connection;
  ConnectionStream &stream;
  Arena &arena;
  RequestHead head;
  Clock::time_point start;
  Clock::time_point response_ready;
  std::shared_ptr<const loader::RouteTable> table;
  std::shared_ptr<loader::Library> library; // keeps the generation loaded until done
};
thread_local RequestContext *current_request = nullptr;

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

// RFC 9110 token characters: what a header name may be made of.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", c) != nullptr) return false;
  }
  return true;
}

bool is_field_value(std::string_view text) {
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() && ::strncasecmp(text.data(), lower.data(), text.size()) == 0;
}

bool is_framing_header(std::string_view name) {
  return equals_ignoring_case(name, "content-length") ||
         equals_ignoring_case(name, "transfer-encoding") ||
         equals_ignoring_case(name, "connection");
}

} // namespace

RequestPipeline::RequestPipeline(loader::Configuration &configuration, PipelineLimits limits)
    : configuration_(configuration), limits_(limits) {
  using httplib::Server;
  parser_.set_keep_alive_max_count(limits_.max_requests_per_connection);
  parser_.set_keep_alive_timeout(limits_.keep_alive_seconds);
  parser_.set_payload_max_length(limits_.max_body_bytes);
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

flexilib_request build_c_request(const RequestContext &context, const httplib::Request &request) {
  return flexilib_request{
      request.target.data(),
      request.target.size(),
      const_cast<char *>(request.method.c_str()),
      request.method.size(),
      const_cast<char *>(request.body.data()),
      request.body.size(),
      context.head.headers,
      context.head.header_count,
  };
}

// Copies the library's response into cpp-httplib's. Returns an error text when the
// response is not something we may send (it then becomes a 500).
std::string translate_response(const flexilib_response &from, httplib::Response &to,
                               ConnectionStream &stream) {
  const size_t status = from.status == 0 ? 200 : from.status;
  if (status < 200 || status > 599)
    return "invalid status " + std::to_string(from.status) + " (must be 0 or 200-599)";
  if (from.len > 0 && from.ptr == nullptr)
    return "body length " + std::to_string(from.len) + " with a NULL body pointer";
  if (from.headers_len > 0 && from.headers == nullptr) return "headers_len set with NULL headers";
  std::string content_type = "text/plain";
  for (size_t i = 0; i < from.headers_len; ++i) {
    const flexilib_header &header = from.headers[i];
    std::string_view name(header.name_ptr, header.name_ptr ? header.name_len : 0);
    std::string_view value(header.value_ptr, header.value_ptr ? header.value_len : 0);
    if (!is_token(name))
      return "response header name \"" + std::string(name) + "\" is not a valid token";
    if (!is_field_value(value))
      return "response header " + std::string(name) + " contains CR, LF or NUL";
    if (is_framing_header(name)) continue; // the server frames the response itself
    if (equals_ignoring_case(name, "content-type"))
      content_type = value;
    else
      to.set_header(std::string(name), std::string(value));
  }
  std::string_view reason(from.reason_ptr, from.reason_ptr ? from.reason_len : 0);
  if (!is_field_value(reason)) return "reason phrase contains CR, LF or NUL";
  stream.set_reason_phrase(reason);

  to.status = int(status);
  // Small bodies are copied (cheapest); large ones are written straight from the
  // library's memory, which stays valid until request_deinit.
  constexpr size_t copy_limit = 64 * 1024;
  if (from.len < copy_limit) {
    to.set_content(from.ptr ? from.ptr : "", from.len, content_type);
  } else {
    const char *body = from.ptr;
    to.set_content_provider(from.len, content_type,
                            [body](size_t offset, size_t length, httplib::DataSink &sink) {
                              return sink.write(body + offset, length);
                            });
  }
  return {};
}

} // namespace

void RequestPipeline::handle(const httplib::Request &request, httplib::Response &response) {
  RequestContext &context = *current_request;
  context.table = configuration_.current();

  const int rule = match_route(context, request);
  if (rule < 0) return respond_with_error(response, 404, "404 Not Found: no route matches");

  std::string error;
  context.library = context.table->libraries[size_t(rule)]->acquire(error);
  if (!context.library)
    return respond_with_error(response, 502,
                              "502 Bad Gateway: the handler library for this route cannot "
                              "be loaded (the server log says why)");

  flexilib_request c_request = build_c_request(context, request);
  flexilib_response *c_response = context.library->handle_request(&c_request);
  context.response_ready = Clock::now();
  const std::string &library = context.library->path();
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
                                StreamBuffers &buffers, Arena &arena, size_t head_length,
                                bool last_on_connection) {
  // The head is copied before cpp-httplib consumes it: the headers handed to the
  // library point into this copy, which a buffer refill for the body cannot move.
  thread_local std::string head;
  head.assign(buffers.unread().substr(0, head_length));

  RequestContext context{connection,   stream, arena,   parse_request_head(head, arena),
                         Clock::now(), {},     nullptr, nullptr};
  current_request = &context;
  stream.reset_response();

  // cpp-httplib must not apply Range or compress bodies: the handler's response goes
  // out as the handler made it. The library still sees both headers (from `head`).
  // A request without Content-Length or Transfer-Encoding has no body (RFC 9112
  // 6.3), but cpp-httplib would read one until the connection closes: say so.
  static const std::function<void(httplib::Request &)> setup = [](httplib::Request &request) {
    request.ranges.clear();
    request.headers.erase("Accept-Encoding");
    if (!request.has_header("Content-Length") && !request.has_header("Transfer-Encoding"))
      request.set_header("Content-Length", "0");
  };
  bool connection_closed = false;
  bool ok = parser_.process_request(stream, last_on_connection, connection_closed, setup);
  ok = stream.flush() && ok;
  if (context.library) context.library->request_deinit();
  const Clock::time_point end = Clock::now();
  ++connection.requests_served;

  write_access_log({connection.peer, context.head.request_line, stream.response_status(),
                    context.response_ready == Clock::time_point{}
                        ? ms_between(context.start, end)
                        : ms_between(context.start, context.response_ready),
                    stream.response_body_bytes(), ms_between(context.start, end), arena.capacity(),
                    arena.allocated()});
  current_request = nullptr;
  context.library.reset();
  arena.reset();
  return ok && !connection_closed && !last_on_connection;
}

RequestPipeline::Next RequestPipeline::serve(Connection &connection, StreamBuffers &buffers,
                                             Arena &arena) {
  ConnectionStream stream(connection, buffers, limits_.timeouts);
  buffers.begin = 0;
  buffers.end = std::min(connection.pending.size(), buffers.input.size());
  std::copy_n(connection.pending.data(), buffers.end, buffers.input.data());
  connection.pending.clear();

  for (;;) {
    const bool open = stream.fill_without_waiting();
    const size_t head_length = find_head_end(buffers.unread());
    if (head_length == 0) {
      if (!open) return Next::close;
      if (buffers.unread().size() >= limits_.max_head_bytes) {
        write_diagnostic(connection.peer + ": request head over " +
                         std::to_string(limits_.max_head_bytes) + " bytes, answered 431");
        static constexpr std::string_view too_large =
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n";
        stream.write(too_large.data(), too_large.size());
        stream.flush();
        return Next::close;
      }
      // The head is still arriving: keep what came and wait without a thread.
      connection.pending.assign(buffers.unread());
      if (connection.head_started == 0 && !connection.pending.empty())
        connection.head_started = Clock::now().time_since_epoch().count();
      return Next::wait_for_more;
    }
    connection.head_started = 0;
    const bool last =
        !open || connection.requests_served + 1 >= limits_.max_requests_per_connection;
    if (!serve_one(connection, stream, buffers, arena, head_length, last)) return Next::close;
    if (buffers.unread().empty()) return Next::wait_for_more;
  }
}

} // namespace flexilib::server
