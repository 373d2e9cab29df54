// Limits and body-framing checks on a parsed request head.
#include "server/request_framing.hpp"

#include <charconv>
#include <strings.h>

namespace flexilib::server {

namespace {

bool is_named(const flexilib_header &header, std::string_view name) {
  return header.name_len == name.size() &&
         ::strncasecmp(header.name_ptr, name.data(), name.size()) == 0;
}

std::string_view value_of(const flexilib_header &header) {
  return {header.value_ptr, header.value_len};
}

bool parse_length(std::string_view text, size_t &length) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  std::from_chars(text.data(), text.data() + text.size(), length);
  return true;
}

FramingVerdict refuse(int status, std::string_view problem) {
  return {status, problem, 0, false};
}

} // namespace

FramingVerdict check_framing(const RequestHead &head, const FramingLimits &limits) {
  if (head.header_count > limits.max_header_count) return refuse(431, "too many header fields");

  FramingVerdict verdict;
  bool have_length = false;
  bool have_transfer_encoding = false;
  for (size_t i = 0; i < head.header_count; ++i) {
    const flexilib_header &header = head.headers[i];
    if (is_named(header, "content-length")) {
      size_t length = 0;
      if (!parse_length(value_of(header), length)) return refuse(400, "invalid Content-Length");
      if (have_length && length != verdict.content_length)
        return refuse(400, "conflicting Content-Length fields");
      have_length = true;
      verdict.content_length = length;
    } else if (is_named(header, "transfer-encoding")) {
      // Only a single "chunked" is understood; anything else cannot be framed safely.
      const std::string_view coding = value_of(header);
      if (have_transfer_encoding || coding.size() != 7 ||
          ::strncasecmp(coding.data(), "chunked", 7) != 0)
        return refuse(501, "unsupported Transfer-Encoding");
      have_transfer_encoding = true;
      verdict.chunked = true;
    }
  }
  if (have_length && have_transfer_encoding)
    return refuse(400, "both Content-Length and Transfer-Encoding");
  if (verdict.content_length > limits.max_body_bytes) return refuse(413, "body over MAX_BODY_KB");
  return verdict;
}

} // namespace flexilib::server
