// Splitting and checking a request line.
#include "server/request_line.hpp"

#include <array>

namespace flexilib::server {

namespace {

constexpr std::array<std::string_view, 10> known_methods{
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"};

bool is_known_method(std::string_view method) {
  for (std::string_view known : known_methods)
    if (method == known) return true;
  return false;
}

} // namespace

std::optional<RequestLine> split_request_line(std::string_view line) {
  std::string_view parts[3];
  size_t count = 0;
  size_t start = 0;
  while (start < line.size()) {
    const size_t end = std::min(line.find(' ', start), line.size());
    if (end > start) {
      if (count == 3) return std::nullopt;
      parts[count++] = line.substr(start, end - start);
    }
    start = end + 1;
  }
  if (count != 3 || !is_known_method(parts[0])) return std::nullopt;
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") return std::nullopt;
  std::string_view target = parts[1];
  target = target.substr(0, target.find('#'));
  return RequestLine{parts[0], target, parts[2]};
}

} // namespace flexilib::server
