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

// The statuses a request is refused with before its body has been read, by the checks
// here or by cpp-httplib. After one, the next bytes on the connection are not the start
// of a request: it closes, after reading what the client is still sending, so that the
// refusal reaches it. (A 503 is a handler's or an upstream's answer, not a refusal.)
constexpr bool is_refusal(int status) {
  return status == 400 || status == 408 || status == 413 || status == 414 || status == 431 ||
         status == 501;
}

// The longest request line accepted: cpp-httplib's compiled-in limit (414 above it).
constexpr size_t max_request_line = 8192;

// Checks the raw head's syntax before anything reads it (RFC 9112 2.2, 5.1, 5.2 and
// RFC 9110 5.5): every line ends in CRLF, no NUL or bare CR anywhere, field names are
// tokens directly followed by ':', no obs-fold continuation lines. cpp-httplib skips
// or passes such lines, which lets a proxy in front and this server read the same
// bytes two ways; a refusal (400, or 414 for a request line over max_request_line) is
// the safe answer.
FramingVerdict check_head_syntax(std::string_view head);

} // namespace flexilib::server
