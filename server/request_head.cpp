// Splitting a raw request head into the request line and ordered headers.
#include "server/request_head.hpp"

#include "http/case_insensitive.hpp"
#include "http/whitespace.hpp"

#include <algorithm>
#include <charconv>

namespace flexilib::server {

namespace {

using http::equals_ignoring_case;
using http::trim;

// Calls `visit` with each line of `head` after the request line, without its CRLF;
// lines that end in a bare LF are skipped.
template <typename Visit> void for_each_header_line(std::string_view head, Visit visit) {
  size_t start = head.find('\n');
  while (start != std::string_view::npos && start + 1 < head.size()) {
    const size_t end = head.find('\n', start + 1);
    if (end == std::string_view::npos) return;
    std::string_view line = head.substr(start + 1, end - start - 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      if (!line.empty()) visit(line);
    }
    start = end;
  }
}

} // namespace

size_t find_head_end(std::string_view buffer) {
  // The first empty line ends the head. A bare-LF one ends it too, so that a head
  // with bare LFs is answered (400) rather than waited on.
  const size_t crlf = buffer.find("\n\r\n");
  const size_t lf = buffer.find("\n\n");
  if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf)) return lf + 2;
  return crlf == std::string_view::npos ? 0 : crlf + 3;
}

RequestHead parse_request_head(std::string_view head, Arena &arena) {
  RequestHead result;
  const size_t first_end = head.find('\n');
  result.request_line = head.substr(0, first_end);
  if (!result.request_line.empty() && result.request_line.back() == '\r')
    result.request_line.remove_suffix(1);

  size_t capacity = 0;
  for_each_header_line(head, [&](std::string_view) { ++capacity; });
  if (capacity == 0) return result;
  auto *headers =
      static_cast<flexilib_header *>(arena.allocate(capacity * sizeof(flexilib_header)));
  if (headers == nullptr) return result;

  size_t count = 0;
  for_each_header_line(head, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return;
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    headers[count++] = {const_cast<char *>(name.data()), name.size(),
                        const_cast<char *>(value.data()), value.size()};
  });
  result.headers = headers;
  result.header_count = count;
  return result;
}

BodyFields body_fields(std::string_view head) {
  BodyFields fields;
  bool length_valid = true;
  for_each_header_line(head, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = line.substr(0, colon);
    if (equals_ignoring_case(name, "transfer-encoding")) {
      fields.transfer_encoding = true;
    } else if (equals_ignoring_case(name, "expect")) {
      fields.expect = true;
    } else if (equals_ignoring_case(name, "content-length")) {
      const std::string_view value = trim(line.substr(colon + 1));
      size_t parsed = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      length_valid = length_valid && !fields.content_length && error == std::errc() &&
                     end == value.data() + value.size();
      fields.content_length = parsed;
    }
  });
  if (!length_valid) fields.content_length.reset();
  return fields;
}

const flexilib_header *find_header(const flexilib_header *headers, size_t count,
                                   std::string_view name) {
  for (size_t i = 0; i < count; ++i) {
    const flexilib_header &header = headers[i];
    if (equals_ignoring_case({header.name_ptr, header.name_len}, name)) return &header;
  }
  return nullptr;
}

} // namespace flexilib::server
