// Validating and copying a handler's response.
#include "server/response_translation.hpp"

#include "http/case_insensitive.hpp"
#include "http/token.hpp"

#include <cstring>
#include <string_view>

namespace flexilib::server {

namespace {

bool is_field_value(std::string_view text) {
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

using http::equals_ignoring_case;

bool is_framing_header(std::string_view name) {
  return equals_ignoring_case(name, "content-length") ||
         equals_ignoring_case(name, "transfer-encoding") ||
         equals_ignoring_case(name, "connection");
}

} // namespace

std::string translate_response(const flexilib_response &from, httplib::Response &to,
                               ConnectionStream &stream) {
  const size_t status = from.status == 0 ? 200 : from.status;
  if (status < 200 || status > 599)
    return "invalid status " + std::to_string(from.status) + " (must be 0 or 200-599)";
  if (from.len > 0 && from.ptr == nullptr)
    return "body length " + std::to_string(from.len) + " with a NULL body pointer";
  if (from.headers_len > 0 && from.headers == nullptr) return "headers_len set with NULL headers";
  std::string content_type = "text/plain";
  for (size_t i = 0; i < from.headers_len; ++i) {
    const flexilib_header &header = from.headers[i];
    std::string_view name(header.name_ptr, header.name_ptr ? header.name_len : 0);
    std::string_view value(header.value_ptr, header.value_ptr ? header.value_len : 0);
    if (!http::is_token(name))
      return "response header name \"" + std::string(name) + "\" is not a valid token";
    if (!is_field_value(value))
      return "response header " + std::string(name) + " contains CR, LF or NUL";
    if (is_framing_header(name)) continue; // the server frames the response itself
    if (equals_ignoring_case(name, "content-type"))
      content_type = value;
    else
      to.set_header(std::string(name), std::string(value));
  }
  std::string_view reason(from.reason_ptr, from.reason_ptr ? from.reason_len : 0);
  if (!is_field_value(reason)) return "reason phrase contains CR, LF or NUL";
  stream.set_reason_phrase(reason);

  to.status = int(status);
  // Small bodies are copied (cheapest); large ones are written straight from the
  // library's memory, which stays valid until request_deinit.
  constexpr size_t copy_limit = 64 * 1024;
  if (from.len < copy_limit) {
    to.set_content(from.ptr ? from.ptr : "", from.len, content_type);
  } else {
    const char *body = from.ptr;
    to.set_content_provider(from.len, content_type,
                            [body](size_t offset, size_t length, httplib::DataSink &sink) {
                              return sink.write(body + offset, length);
                            });
  }
  return {};
}

} // namespace flexilib::server
