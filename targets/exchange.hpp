// One request as a route target sees it: what came in, where to write, and what the
// target reports back for the log line and the figures. It lives on the serving
// thread's stack for the length of one request.
#pragma once

#include "loader/library.hpp"
#include "process/crash_page.hpp"
#include "server/arena.hpp"
#include "server/connection_stream.hpp"
#include "server/serving_thread.hpp"

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace flexilib::targets {

struct Exchange {
  // In: the request line and body (read in place) and its header fields as sent, in
  // order (pointing into the raw head). `request` is cpp-httplib's parse for a request
  // with a body; for one without, the server fills only its method, target, version
  // and Connection field (server/request_pipeline): read the fields from `headers`.
  const httplib::Request &request;
  std::string_view body;
  flexilib_header *headers = nullptr;
  size_t header_count = 0;
  std::string_view route;       // the matched route's name ("Host: iam /", "/c")
  std::string_view path_prefix; // the matched rule's path prefix
  server::Connection &connection;
  server::ConnectionStream &stream; // for a response the target relays itself
  server::Arena &arena;             // memory that lasts until the response is written
  server::ServingThread &thread;
  process::CrashPage *crash_page = nullptr; // told which handler each thread runs

  // Out: what the figures and the log line need.
  std::chrono::steady_clock::time_point response_ready{}; // unset: when it was written
  std::shared_ptr<loader::Library> library{};             // the generation that served, kept loaded
                                                          // until the response is written
  int cold = -1;          // the generation's first request: 1, a later one: 0
  int64_t billed_ms = -1; // what Lambda would bill, for Lambda routes
};

} // namespace flexilib::targets
