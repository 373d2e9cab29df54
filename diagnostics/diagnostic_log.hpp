// The server's diagnostics: one line per event ("flexilib: <message>") on standard
// error, written with a single write(2) so that lines from different threads and
// processes never interleave. Every part of the server reports through here.
#pragma once

#include <cstddef>
#include <string_view>

namespace flexilib::diagnostics {

// Writes one diagnostic line, "flexilib: <message>", to standard error in one write.
void write_diagnostic(std::string_view message);

// Writes all of `size` bytes to `fd`, continuing after short writes; gives up on an
// error (a closed log must not stop the server).
void write_whole(int fd, const char *data, size_t size);

} // namespace flexilib::diagnostics
