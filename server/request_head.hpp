// The request head exactly as the client sent it: the request line and the header
// lines in arrival order. cpp-httplib keeps headers in a sorted map (order lost, its
// own REMOTE_ADDR-style entries added), so the handler ABI is fed from these bytes.
#pragma once

#include "executors/flexilib.h"
#include "server/arena.hpp"

#include <optional>
#include <string_view>

namespace flexilib::server {

// Length of the head at the start of `buffer` (request line, headers and the blank
// line), or 0 while it is incomplete. A head ends at its first empty line (CRLF, or a
// bare LF, which check_head_syntax then refuses).
size_t find_head_end(std::string_view buffer);

// What a complete head says about its body, from one pass over it: enough to decide
// where to wait for the body. check_framing has the last word on whether it is valid.
struct BodyFields {
  std::optional<size_t> content_length; // when there is exactly one valid Content-Length
  bool transfer_encoding = false;
  bool expect = false;
};
BodyFields body_fields(std::string_view head);

struct RequestHead {
  std::string_view request_line; // "GET /x HTTP/1.1", without the line end
  flexilib_header *headers = nullptr;
  size_t header_count = 0;
};

// Splits a complete head into its request line and headers. The header array comes
// from `arena`; names and values point into `head`, which must outlive them. Lines
// that are not "name: value" ending in CRLF are skipped, as cpp-httplib skips them.
RequestHead parse_request_head(std::string_view head, Arena &arena);

// Looks a header up by name, case-insensitively: the first one wins.
const flexilib_header *find_header(const flexilib_header *headers, size_t count,
                                   std::string_view name);

} // namespace flexilib::server
