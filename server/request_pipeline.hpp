// The request path, from the bytes of a connection to the log line. cpp-httplib parses
// each request and writes each response; the steps in between are ours, one function
// each, in this order: match the route, take a reference to the library generation,
// build the C request, call the handler, translate its response, and, after the
// response is written, let the library free its memory and record the request.
#pragma once

#include "loader/configuration.hpp"
#include "server/arena.hpp"
#include "server/connection.hpp"
#include "server/settings.hpp"

#include <httplib.h>

namespace flexilib::server {

struct PipelineLimits {
  size_t max_head_bytes = 16 * 1024; // request line and headers together
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_requests_per_connection = 1000;
  int keep_alive_seconds = 5;
  StreamTimeouts timeouts;
};

class RequestPipeline {
public:
  RequestPipeline(loader::Configuration &configuration, PipelineLimits limits);

  enum class Next { wait_for_more, close };

  // Serves every complete request buffered on the connection (reading what the
  // socket already has), and says whether to wait for more or close. Runs on a
  // serving thread that owns the connection for the duration.
  Next serve(Connection &connection, StreamBuffers &buffers, Arena &arena);

  const PipelineLimits &limits() const { return limits_; }

private:
  // cpp-httplib's Server with the protected entry point that takes a Stream made
  // public, so requests are read from our connections rather than its own loop.
  class HttpParser : public httplib::Server {
  public:
    using httplib::Server::process_request;
  };

  void handle(const httplib::Request &request, httplib::Response &response);
  bool serve_one(Connection &connection, ConnectionStream &stream, StreamBuffers &buffers,
                 Arena &arena, size_t head_length, bool last_on_connection);

  loader::Configuration &configuration_;
  PipelineLimits limits_;
  HttpParser parser_;
};

} // namespace flexilib::server
