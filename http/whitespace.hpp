// HTTP's optional whitespace (OWS, RFC 9110 5.6.3: spaces and horizontal tabs) around
// field values and list items. One definition for the request, upstream and admin code.
#pragma once

#include <string_view>

namespace flexilib::http {

constexpr bool is_optional_whitespace(char c) {
  return c == ' ' || c == '\t';
}

// `text` without the optional whitespace at either end.
constexpr std::string_view trim(std::string_view text) {
  while (!text.empty() && is_optional_whitespace(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_optional_whitespace(text.back()))
    text.remove_suffix(1);
  return text;
}

} // namespace flexilib::http
