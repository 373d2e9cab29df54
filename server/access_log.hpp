// The request log: one line per request on stdout in FlexiLib's format, e.g.
//   127.0.0.1:59940 - - "GET / HTTP/1.1" 200 ttfb 0.042ms 2 ttlb 0.051ms (pre-alloc: 8192, alloc:
//   312)
// Each line is formatted in the serving thread's own buffer and written with a single
// write(2), which the kernel keeps whole, so threads never wait on each other here.
#pragma once

#include "diagnostics/diagnostic_log.hpp"

#include <cstddef>
#include <string_view>

namespace flexilib::server {

struct AccessLogEntry {
  std::string_view client;       // "ip:port"
  std::string_view request_line; // as sent
  int status = 0;
  double ttfb_ms = 0;
  size_t body_bytes = 0;
  double ttlb_ms = 0;
  size_t prealloc_bytes = 0;
  size_t alloc_bytes = 0;
};

// Formats the line (with its newline) into `out`; returns its length, at most `capacity`.
size_t format_access_log_line(const AccessLogEntry &entry, char *out, size_t capacity);

// Formats and writes one line to standard output.
void write_access_log(const AccessLogEntry &entry);

// Diagnostics live in diagnostics/; the request path names them as its own.
using diagnostics::write_diagnostic;

} // namespace flexilib::server
