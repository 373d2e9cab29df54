// The value of one hexadecimal digit, for chunk sizes (RFC 9112 7.1) and percent-escapes
// (RFC 3986 2.1). One definition for the request, upstream and Lambda event code.
#pragma once

namespace flexilib::http {

// 0 to 15, or -1 when `c` is not a hexadecimal digit (either case).
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace flexilib::http
