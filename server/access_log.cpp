// Formatting and writing request log lines and diagnostics.
#include "server/access_log.hpp"

#include "diagnostics/diagnostic_log.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
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

namespace {

// Appends to a line within its capacity, keeping the last byte for the newline. No
// printf: the line is formatted for every request, and printf's format parsing and
// locale lookups were the largest user-space cost of it.
struct LineWriter {
  char *out;
  size_t capacity; // without the newline's byte
  size_t used = 0;

  void text(std::string_view part) {
    const size_t count = std::min(part.size(), capacity - used);
    std::memcpy(out + used, part.data(), count);
    used += count;
  }
  template <typename Number> void number(Number value) {
    char digits[32];
    const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
    if (error == std::errc()) text({digits, size_t(end - digits)});
  }
  // As printf's "%.3f", from whole microseconds: the shortest-form double formatting
  // of to_chars showed in the profile (1.3% at 64 connections), this does not.
  void milliseconds(double ms) {
    if (!(ms >= 0) || ms >= 1e15) { // negative, NaN or absurd: the general path
      char digits[64];
      const auto [end, error] =
          std::to_chars(digits, digits + sizeof digits, ms, std::chars_format::fixed, 3);
      if (error == std::errc()) text({digits, size_t(end - digits)});
      return;
    }
    const auto micros = static_cast<unsigned long long>(std::llround(ms * 1000));
    number(micros / 1000);
    const unsigned fraction = unsigned(micros % 1000);
    const char decimals[4] = {'.', char('0' + fraction / 100), char('0' + fraction / 10 % 10),
                              char('0' + fraction % 10)};
    text({decimals, 4});
  }
};

} // namespace

size_t format_access_log_line(const AccessLogEntry &entry, char *out, size_t capacity) {
  if (capacity < 2) return 0;
  LineWriter line{out, capacity - 1};
  line.text(entry.client);
  line.text(" - - \"");
  line.used += append_escaped(entry.request_line, out + line.used, line.capacity - line.used);
  line.text("\" ");
  line.number(entry.status);
  line.text(" ttfb ");
  line.milliseconds(entry.ttfb_ms);
  line.text("ms ");
  line.number(entry.body_bytes);
  line.text(" ttlb ");
  line.milliseconds(entry.ttlb_ms);
  line.text("ms (pre-alloc: ");
  line.number(entry.prealloc_bytes);
  line.text(", alloc: ");
  line.number(entry.alloc_bytes);
  line.text(")");
  out[line.used] = '\n'; // also when truncated: one line per request
  return line.used + 1;
}

void write_access_log(const AccessLogEntry &entry) {
  char line[1024];
  diagnostics::write_whole(STDOUT_FILENO, line, format_access_log_line(entry, line, sizeof line));
}

namespace {
constexpr size_t longest_line = 1024; // format_access_log_line's capacity here
static_assert(PIPE_BUF >= 2 * longest_line);
} // namespace

void AccessLogBuffer::append(const AccessLogEntry &entry) {
  std::lock_guard lock(mutex_);
  if (sizeof bytes_ - used_ < longest_line) write_out();
  if (used_ == 0) first_added_ = now_ticks();
  used_ += format_access_log_line(entry, bytes_ + used_, longest_line);
}

void AccessLogBuffer::flush() {
  std::lock_guard lock(mutex_);
  write_out();
}

void AccessLogBuffer::flush_if_older(Clock::rep now, Clock::rep age) {
  std::lock_guard lock(mutex_);
  if (used_ > 0 && now - first_added_ > age) write_out();
}

void AccessLogBuffer::write_out() {
  if (used_ == 0) return;
  diagnostics::write_whole(STDOUT_FILENO, bytes_, used_);
  used_ = 0;
}

} // namespace flexilib::server
