// Writing diagnostic lines.
#include "diagnostics/diagnostic_log.hpp"

#include <string>
#include <unistd.h>

namespace flexilib::diagnostics {

void write_whole(int fd, const char *data, size_t size) {
  while (size > 0) {
    const ssize_t written = ::write(fd, data, size);
    if (written <= 0) return;
    data += written;
    size -= size_t(written);
  }
}

void write_diagnostic(std::string_view message) {
  std::string line;
  line.reserve(message.size() + 11);
  line.append("flexilib: ").append(message).push_back('\n');
  write_whole(STDERR_FILENO, line.data(), line.size());
}

} // namespace flexilib::diagnostics
