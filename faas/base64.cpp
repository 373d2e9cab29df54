// Base64 encoding and decoding.
#include "faas/base64.hpp"

#include <algorithm>
#include <cstdint>

namespace flexilib::faas {

namespace {
constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string base64_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t at = 0; at < bytes.size(); at += 3) {
    const size_t count = std::min<size_t>(3, bytes.size() - at);
    uint32_t group = 0;
    for (size_t i = 0; i < 3; ++i)
      group = group << 8 | (i < count ? uint8_t(bytes[at + i]) : 0);
    for (size_t i = 0; i < 4; ++i)
      text += i <= count ? base64_alphabet[(group >> (18 - 6 * i)) & 63] : '=';
  }
  return text;
}

bool base64_decode(std::string_view text, std::string &bytes) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  uint32_t group = 0;
  int bits = 0;
  for (char c : text) {
    const size_t value = base64_alphabet.find(c);
    if (value == std::string_view::npos) return false;
    group = group << 6 | uint32_t(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += char((group >> bits) & 0xff);
    }
  }
  return true;
}

} // namespace flexilib::faas
