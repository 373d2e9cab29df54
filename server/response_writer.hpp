// Writing a response head ourselves, into the serving thread's output buffer: the
// status line, the target's fields in the order given, then the fields the server
// owns (Content-Type, Content-Length, Connection or Keep-Alive). No allocation once
// the buffer has grown to its working size, no printf, no header map.
#pragma once

#include "server/response_message.hpp"

#include <string>
#include <string_view>

namespace flexilib::server {

// What the head says about the connection.
struct ConnectionTerms {
  bool close = false;         // "Connection: close": the server closes after this response
  int keep_alive_seconds = 0; // otherwise "Keep-Alive: timeout=S, max=M", as cpp-httplib said
  size_t keep_alive_max = 0;
};

// 1xx, 204 and 304 responses end with their head (RFC 9110 6.4.1): their body, if a
// target gave one, is not sent and no Content-Length is.
constexpr bool status_has_body(int status) {
  return status >= 200 && status != 204 && status != 304;
}

// The fields the writer sets itself, so a target's own are never sent.
bool is_writers_field(std::string_view name);

// Appends the head of `response` to `out`, with Content-Length `body_length` (the
// body's size, also for HEAD, which sends none).
void append_response_head(std::string &out, const ResponseMessage &response, size_t body_length,
                          const ConnectionTerms &terms);

} // namespace flexilib::server
