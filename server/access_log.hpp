// The request log: one line per request on stdout in FlexiLib's format, e.g.
//   127.0.0.1:59940 - - "GET / HTTP/1.1" 200 ttfb 0.042ms 2 ttlb 0.051ms (pre-alloc: 8192, alloc:
//   312)
// A serving thread gathers its lines in its own AccessLogBuffer and writes them
// together, in writes of at most PIPE_BUF bytes that end at a line's end, which the
// kernel keeps whole even on a pipe: so lines of different threads never mix, and
// under load one write carries dozens of lines.
#pragma once

#include "diagnostics/diagnostic_log.hpp"
#include "timing/clock.hpp"

#include <climits>
#include <cstddef>
#include <mutex>
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

// Formats and writes one line to standard output at once (the side listeners' path).
void write_access_log(const AccessLogEntry &entry);

// One serving thread's lines not yet written. The thread writes them out when the
// next would not fit, and before it waits for work, so no line is held while the
// server is idle; the housekeeper writes out those of a thread busy for a while.
class AccessLogBuffer {
public:
  void append(const AccessLogEntry &entry);
  void flush();
  // Flushes when the first line waiting was added more than `age` ticks before `now`.
  void flush_if_older(Clock::rep now, Clock::rep age);

private:
  void write_out(); // mutex_ held

  std::mutex mutex_; // the thread and the housekeeper
  char bytes_[PIPE_BUF];
  size_t used_ = 0;
  Clock::rep first_added_ = 0;
};

// Diagnostics live in diagnostics/; the request path names them as its own.
using diagnostics::write_diagnostic;

} // namespace flexilib::server
