// Formatting and writing request log lines and diagnostics.
#include "server/access_log.hpp"

#include "diagnostics/diagnostic_log.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace flexilib::server {

namespace {

// A request line is the client's text: control characters and quotes are escaped so
// that a line of the log is always one request.
size_t append_escaped(std::string_view text, char *out, size_t capacity) {
  static constexpr char hex[] = "0123456789abcdef";
  size_t used = 0;
  for (unsigned char c : text) {
    const bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
    const size_t need = plain ? 1 : 4;
    if (used + need > capacity) break;
    if (plain) {
      out[used++] = char(c);
      continue;
    }
    out[used++] = '\\';
    out[used++] = 'x';
    out[used++] = hex[c >> 4];
    out[used++] = hex[c & 15];
  }
  return used;
}

} // namespace

size_t format_access_log_line(const AccessLogEntry &entry, char *out, size_t capacity) {
  if (capacity < 2) return 0;
  int used =
      std::snprintf(out, capacity, "%.*s - - \"", int(entry.client.size()), entry.client.data());
  size_t length = std::min(size_t(std::max(used, 0)), capacity - 1);
  length += append_escaped(entry.request_line, out + length, capacity - 1 - length);
  used = std::snprintf(out + length, capacity - length,
                       "\" %d ttfb %.3fms %zu ttlb %.3fms (pre-alloc: %zu, alloc: %zu)\n",
                       entry.status, entry.ttfb_ms, entry.body_bytes, entry.ttlb_ms,
                       entry.prealloc_bytes, entry.alloc_bytes);
  length = std::min(length + size_t(std::max(used, 0)), capacity - 1);
  if (out[length - 1] != '\n') out[length++] = '\n'; // truncated: keep one line per request
  return length;
}

void write_access_log(const AccessLogEntry &entry) {
  char line[1024];
  diagnostics::write_whole(STDOUT_FILENO, line, format_access_log_line(entry, line, sizeof line));
}

} // namespace flexilib::server
