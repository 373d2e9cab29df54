// An upstream's response head, parsed in place from the relay's buffer: status,
// reason, fields (views into the buffer) and how the body is framed (RFC 9112 §6.3).
// What could split or smuggle a response is refused, never passed on: a CR, LF or
// NUL inside a line, a folded line, a field name that is not a token, two lengths
// that disagree, a length next to Transfer-Encoding, a transfer coding but chunked.
#pragma once

#include "upstream/forwarded_headers.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::upstream {

enum class BodyFraming {
  none,       // no body: to HEAD, a 1xx, 204 or 304
  length,     // Content-Length bytes
  chunked,    // Transfer-Encoding: chunked
  until_close // neither: the body ends when the upstream closes the connection
};

struct ResponseHead {
  int status = 0;
  std::string_view version; // "HTTP/1.1" or "HTTP/1.0"
  std::string_view reason;
  std::vector<HeaderField> fields; // in order; its capacity is reused per thread
  std::string connection_names;    // the Connection fields' tokens (add_connection_tokens)
  BodyFraming framing = BodyFraming::none;
  uint64_t content_length = 0;
  // The upstream keeps the connection open after this response (HTTP/1.1 without
  // "close", HTTP/1.0 with "keep-alive"), and the body's end is known.
  bool reusable = false;
};

struct HeadParse {
  size_t length = 0;        // the head's bytes, blank line included; 0: not all here yet
  std::string_view problem; // why the head is refused (for the log); empty: acceptable
};

// Parses the head at the start of `bytes`. Returns length 0 and no problem while the
// blank line that ends it has not arrived. `head_request`: the answer to a HEAD has no
// body whatever its fields say. More than `max_fields` fields is a problem too.
HeadParse parse_response_head(std::string_view bytes, bool head_request, size_t max_fields,
                              ResponseHead &head);

} // namespace flexilib::upstream
