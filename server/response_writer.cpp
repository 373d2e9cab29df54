// Formatting a response head: appends and to_chars, nothing else.
#include "server/response_writer.hpp"

#include "http/case_insensitive.hpp"
#include "http/status_reason.hpp"

#include <charconv>

namespace flexilib::server {

namespace {

void append_number(std::string &out, size_t number) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, size_t(result.ptr - digits));
}

void append_field(std::string &out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

} // namespace

bool is_writers_field(std::string_view name) {
  using http::equals_ignoring_case;
  return equals_ignoring_case(name, "content-length") ||
         equals_ignoring_case(name, "transfer-encoding") ||
         equals_ignoring_case(name, "connection") || equals_ignoring_case(name, "keep-alive") ||
         equals_ignoring_case(name, "content-type");
}

void append_response_head(std::string &out, const ResponseMessage &response, size_t body_length,
                          const ConnectionTerms &terms) {
  out.append("HTTP/1.1 ", 9);
  append_number(out, size_t(response.status));
  out.push_back(' ');
  out.append(response.reason.empty() ? http::status_reason(response.status) : response.reason);
  out.append("\r\n", 2);

  for (size_t i = 0; i < response.field_count; ++i) {
    const flexilib_header &field = response.fields[i];
    const std::string_view name(field.name_ptr, field.name_ptr ? field.name_len : 0);
    if (is_writers_field(name)) continue;
    append_field(out, name, {field.value_ptr, field.value_ptr ? field.value_len : 0});
  }
  for (const auto &[name, value] : response.owned_fields)
    if (!is_writers_field(name)) append_field(out, name, value);

  append_field(out, "Content-Type", response.content_type);
  if (status_has_body(response.status)) {
    out.append("Content-Length: ", 16);
    append_number(out, body_length);
    out.append("\r\n", 2);
  }
  if (terms.close) {
    out.append("Connection: close\r\n", 19);
  } else {
    out.append("Keep-Alive: timeout=", 20);
    append_number(out, size_t(terms.keep_alive_seconds));
    out.append(", max=", 6);
    append_number(out, terms.keep_alive_max);
    out.append("\r\n", 2);
  }
  out.append("\r\n", 2);
}

} // namespace flexilib::server
