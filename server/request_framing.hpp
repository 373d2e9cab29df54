// Checks on a request head before cpp-httplib reads the body: limits, and the framing
// ambiguities behind request smuggling (RFC 9112 6.1-6.3). cpp-httplib takes the first
// Content-Length it sees and reads any Transfer-Encoding other than "chunked" until
// the connection closes; a head that could be read two ways is refused instead.
#pragma once

#include "server/request_head.hpp"

#include <cstddef>
#include <string_view>

namespace flexilib::server {

struct FramingLimits {
  size_t max_header_count = 100;
  size_t max_body_bytes = 10 * 1024 * 1024;
};

struct FramingVerdict {
  int status = 0;           // 0: the head is fine; otherwise the status to answer with
  std::string_view problem; // for the log
  size_t content_length = 0;
  bool chunked = false;
};

FramingVerdict check_framing(const RequestHead &head, const FramingLimits &limits);

} // namespace flexilib::server
