// Limits and body-framing checks on a parsed request head.
#include "server/request_framing.hpp"

#include "http/case_insensitive.hpp"
#include "http/token.hpp"

#include <charconv>
#include <cstring>

namespace flexilib::server {

namespace {

bool is_named(const flexilib_header &header, std::string_view name) {
  return http::equals_ignoring_case({header.name_ptr, header.name_len}, name);
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

namespace {

// A field line "name: value" (without its CRLF).
std::string_view field_line_problem(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return "obs-fold continuation line";
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return "header line without ':'";
  if (colon == 0) return "empty header name";
  for (unsigned char c : line.substr(0, colon))
    if (!http::is_token_char(c)) return "invalid character in a header name";
  for (unsigned char c : line.substr(colon + 1))
    if ((c < 0x20 && c != '\t') || c == 0x7f) return "control character in a header value";
  return {};
}

} // namespace

FramingVerdict check_head_syntax(std::string_view head) {
  size_t start = 0;
  for (size_t line_number = 0; start < head.size(); ++line_number) {
    const size_t end = head.find('\n', start);
    if (end == std::string_view::npos) break; // cannot happen for a complete head
    if (end == start || head[end - 1] != '\r') return refuse(400, "a line ending in a bare LF");
    const std::string_view line = head.substr(start, end - 1 - start);
    start = end + 1;
    if (line.empty()) break; // the blank line that ends the head
    if (line_number == 0) {
      if (line.size() > max_request_line) return refuse(414, "request line too long");
      for (unsigned char c : line)
        if (c < 0x20 || c == 0x7f) return refuse(400, "control character in the request line");
      continue;
    }
    if (const std::string_view problem = field_line_problem(line); !problem.empty())
      return refuse(400, problem);
  }
  return {};
}

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
      if (have_transfer_encoding || !http::equals_ignoring_case(coding, "chunked"))
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
