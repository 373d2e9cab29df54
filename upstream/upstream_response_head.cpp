// Parsing an upstream's response head, strictly: a proxy that passes on what it
// does not understand lets one response be read as two.
#include "upstream/upstream_response_head.hpp"

#include "http/case_insensitive.hpp"
#include "http/token.hpp"
#include "http/whitespace.hpp"

#include <charconv>

namespace flexilib::upstream {

namespace {

using http::equals_ignoring_case;
using http::trim;

bool has_forbidden_byte(std::string_view text) {
  for (char c : text)
    if (c == '\r' || c == '\n' || c == '\0') return true;
  return false;
}

// "HTTP/1.1 200 OK": version, three digits, an optional reason.
std::string_view parse_status_line(std::string_view line, ResponseHead &head) {
  if (line.size() < 12 || !(line.starts_with("HTTP/1.1 ") || line.starts_with("HTTP/1.0 ")))
    return "not an HTTP/1.x status line";
  head.version = line.substr(0, 8);
  const std::string_view code = line.substr(9, 3);
  for (char c : code)
    if (c < '0' || c > '9') return "a status that is not three digits";
  head.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (head.status < 100 || head.status > 599) return "a status outside 100-599";
  if (line.size() > 12 && line[12] != ' ') return "a status that is not three digits";
  head.reason = line.size() > 13 ? line.substr(13) : std::string_view{};
  if (has_forbidden_byte(head.reason)) return "a CR, LF or NUL in the reason phrase";
  return {};
}

// Content-Length: digits only; several fields must agree.
std::string_view take_length(std::string_view value, bool &seen, uint64_t &length) {
  uint64_t parsed = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (value.empty() || error != std::errc() || end != value.data() + value.size())
    return "an invalid Content-Length";
  if (seen && parsed != length) return "Content-Length fields that disagree";
  seen = true;
  length = parsed;
  return {};
}

// Transfer-Encoding: only "chunked" is understood (as nginx does).
std::string_view take_transfer_encoding(std::string_view value, bool &chunked) {
  if (!equals_ignoring_case(value, "chunked") || chunked)
    return "a transfer coding other than chunked";
  chunked = true;
  return {};
}

std::string_view decide_framing(ResponseHead &head, bool head_request, bool has_length,
                                bool chunked) {
  if (has_length && chunked) return "both Content-Length and Transfer-Encoding";
  if (chunked && head.version == "HTTP/1.0") return "Transfer-Encoding in an HTTP/1.0 response";
  const bool keep_alive = head.version == "HTTP/1.1"
                              ? !names_token(head.connection_names, "close")
                              : names_token(head.connection_names, "keep-alive");
  if (head_request || head.status < 200 || head.status == 204 || head.status == 304)
    head.framing = BodyFraming::none;
  else if (chunked)
    head.framing = BodyFraming::chunked;
  else if (has_length)
    head.framing = BodyFraming::length;
  else
    head.framing = BodyFraming::until_close;
  head.reusable = keep_alive && head.framing != BodyFraming::until_close && head.status != 101;
  return {};
}

} // namespace

HeadParse parse_response_head(std::string_view bytes, bool head_request, size_t max_fields,
                              ResponseHead &head) {
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return {};
  const HeadParse done{end + 4, {}};
  std::string_view rest = bytes.substr(0, end + 2); // every line with its CRLF
  head.fields.clear();
  head.connection_names.clear(); // (not assign(","): GCC 12 warns -Wrestrict wrongly)
  head.connection_names.push_back(',');
  head.content_length = 0;

  size_t line_end = rest.find("\r\n");
  if (const std::string_view problem = parse_status_line(rest.substr(0, line_end), head);
      !problem.empty())
    return {done.length, problem};
  rest.remove_prefix(line_end + 2);

  bool has_length = false, chunked = false;
  while (!rest.empty()) {
    line_end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, line_end);
    rest.remove_prefix(line_end + 2);
    if (line.front() == ' ' || line.front() == '\t') return {done.length, "a folded header line"};
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return {done.length, "a header line without a colon"};
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (!http::is_token(name)) return {done.length, "a header name that is not a token"};
    if (has_forbidden_byte(value)) return {done.length, "a CR, LF or NUL in a header value"};
    if (head.fields.size() == max_fields) return {done.length, "too many header fields"};
    head.fields.push_back({name, value});
    std::string_view problem;
    if (equals_ignoring_case(name, "content-length"))
      problem = take_length(value, has_length, head.content_length);
    else if (equals_ignoring_case(name, "transfer-encoding"))
      problem = take_transfer_encoding(value, chunked);
    else if (equals_ignoring_case(name, "connection"))
      add_connection_tokens(value, head.connection_names);
    if (!problem.empty()) return {done.length, problem};
  }
  if (const std::string_view problem = decide_framing(head, head_request, has_length, chunked);
      !problem.empty())
    return {done.length, problem};
  return done;
}

} // namespace flexilib::upstream
