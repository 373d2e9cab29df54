// Validating a handler's response and pointing the server's message at it.
#include "server/response_translation.hpp"

#include "http/case_insensitive.hpp"
#include "http/token.hpp"

#include <string_view>

namespace flexilib::server {

namespace {

bool is_field_value(std::string_view text) {
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

} // namespace

std::string translate_response(const flexilib_response &from, ResponseMessage &to) {
  const size_t status = from.status == 0 ? 200 : from.status;
  if (status < 200 || status > 599)
    return "invalid status " + std::to_string(from.status) + " (must be 0 or 200-599)";
  if (from.len > 0 && from.ptr == nullptr)
    return "body length " + std::to_string(from.len) + " with a NULL body pointer";
  if (from.headers_len > 0 && from.headers == nullptr) return "headers_len set with NULL headers";
  std::string_view content_type = "text/plain";
  for (size_t i = 0; i < from.headers_len; ++i) {
    const flexilib_header &header = from.headers[i];
    std::string_view name(header.name_ptr, header.name_ptr ? header.name_len : 0);
    std::string_view value(header.value_ptr, header.value_ptr ? header.value_len : 0);
    if (!http::is_token(name))
      return "response header name \"" + std::string(name) + "\" is not a valid token";
    if (!is_field_value(value))
      return "response header " + std::string(name) + " contains CR, LF or NUL";
    if (http::equals_ignoring_case(name, "content-type")) content_type = value; // the last wins
  }
  std::string_view reason(from.reason_ptr, from.reason_ptr ? from.reason_len : 0);
  if (!is_field_value(reason)) return "reason phrase contains CR, LF or NUL";

  to.status = int(status);
  to.reason = reason;
  to.content_type = content_type;
  to.fields = from.headers;
  to.field_count = from.headers_len;
  to.body = std::string_view(from.ptr ? from.ptr : "", from.ptr ? from.len : 0);
  return {};
}

} // namespace flexilib::server
