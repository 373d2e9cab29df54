// RFC 9110 5.6.2: the characters a token (a header name, a method) is made of. One
// definition for the config parser, the request checks and the response checks.
#pragma once

#include <string_view>

namespace flexilib::http {

constexpr bool is_token_char(unsigned char c) {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         symbols.find(char(c)) != std::string_view::npos;
}

constexpr bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text)
    if (!is_token_char(c)) return false;
  return true;
}

} // namespace flexilib::http
