// The request line of a request the server reads without cpp-httplib (one without a
// body): split and checked by cpp-httplib's own rules, so that a request is accepted
// or refused the same way whichever of the two reads it.
#pragma once

#include <optional>
#include <string_view>

namespace flexilib::server {

struct RequestLine {
  std::string_view method, target, version; // target without a "#fragment"
};

// The three parts of `line` (without its CRLF; check_head_syntax has refused control
// characters), separated by one or more spaces; nothing when cpp-httplib would answer
// 400: not three parts, a method it does not know, a version other than HTTP/1.0 or
// HTTP/1.1.
std::optional<RequestLine> split_request_line(std::string_view line);

} // namespace flexilib::server
