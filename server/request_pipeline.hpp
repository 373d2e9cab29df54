// The request path, from a complete request (request_reader has collected it) to the
// log line. A request without a body is read from the head the server has parsed
// already; cpp-httplib reads one with a body (Content-Length, chunked, 100-continue).
// The steps after that are ours, in this order: read a body cpp-httplib skips, match
// the route, let its target serve (targets/: a library, an upstream, a FaaS profile),
// write its response (server/response_writer), and, once the response is out, let
// the library free its memory and record the request.
#pragma once

#include "loader/configuration.hpp"
#include "process/crash_page.hpp"
#include "server/arena.hpp"
#include "server/connection_stream.hpp"
#include "server/request_framing.hpp"
#include "server/serving_thread.hpp"
#include "server/settings.hpp"
#include "stats/request_stats.hpp"

#include <httplib.h>

#include <atomic>
#include <mutex>
#include <string>

namespace flexilib::server {

// Filled from Settings (server/settings.hpp), whose table holds the defaults.
struct PipelineLimits {
  size_t max_head_bytes = 0;                 // request line and headers together: 431 above
  FramingLimits framing;                     // header count (431), body size (413)
  size_t max_requests_per_connection = 1000; // not a setting: cpp-httplib's keep-alive cap
  int keep_alive_seconds = 0;
  StreamTimeouts timeouts;
  size_t client_buffer_bytes = 0; // CLIENT_BUFFERS_MB: slow clients' memory
  size_t client_spill_bytes = 0;  // CLIENT_SPILL_MB: their responses on disk
};

struct RequestContext; // what one request carries from step to step

class RequestPipeline {
public:
  // `stats` (may be null) receives the figures of every request; `crash_page` (may be
  // null) is told which request each thread is running in a handler.
  RequestPipeline(loader::Configuration &configuration, PipelineLimits limits,
                  stats::RequestStats *stats, process::CrashPage *crash_page);

  // Serves the complete request at the start of the thread's buffers (its head is the
  // first `head_length` bytes; a body not yet there is read from the connection), and
  // records it. False when the connection must close after it. `continue_sent`: a
  // "100 Continue" has gone out for it already.
  bool serve_one(Connection &connection, ConnectionStream &stream, ServingThread &thread,
                 size_t head_length, bool last_on_connection, bool continue_sent = false);

  const PipelineLimits &limits() const { return limits_; }

  // The log line and figures of the connection's parked request, now done
  // (Connection::parked: a proxied request that waited for its upstream in the epoll
  // set), on the thread that finished it.
  void record_parked(const Connection &connection, ServingThread &thread);

private:
  void keep_for_record(const RequestContext &context, ParkedExchange &parked);
  // cpp-httplib's Server with the protected entry point that takes a Stream made
  // public, so requests are read from our connections rather than its own loop.
  class HttpParser : public httplib::Server {
  public:
    // cpp-httplib stops streaming a large body when its listening socket is invalid
    // (its sign of shutting down). It has none here, so it is told it has one; it
    // never uses the value for anything else on this path.
    HttpParser() { svr_sock_ = 0; }
    using httplib::Server::process_request;
  };

  bool serve_without_body(RequestContext &context, size_t head_length);
  void handle(const httplib::Request &request);
  void answer(RequestContext &context, const httplib::Request &request);
  void answer_escaped(const httplib::Request &request, std::exception_ptr escaped);
  void write_response(RequestContext &context, const httplib::Request &request);
  void record(const RequestContext &context, unsigned thread);
  void write_record(AccessLogBuffer &log, std::string_view request_line, const loader::Route *route,
                    stats::RequestSample &sample);

  loader::Configuration &configuration_;
  PipelineLimits limits_;
  stats::RequestStats *const stats_;
  process::CrashPage *const crash_page_;
  HttpParser parser_;
};

} // namespace flexilib::server
