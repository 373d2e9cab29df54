// The exception boundary around every call into a handler library. A library written
// in C++ may let an exception escape an entry point; nothing above it may see one
// (cpp-httplib would put its text in a response header, a destructor would end the
// process). Each call site wraps its call in one call_entry_point(): an escaped
// exception becomes one stderr line naming the library, the entry point, the route
// and the request, and the call site answers as if the entry point had failed.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace flexilib::loader {

struct EntryPointCall {
  std::string_view library;  // its path
  std::string_view function; // "handle_request", "flexilib_on_load", ...
  // The request being served, when there is one ("GET" and "/x", or the whole
  // request line as `method` and no target).
  std::string_view route = {}, method = {}, target = {};
};

// "db password is hunter2" for a std::exception, "unknown exception" otherwise.
std::string describe_exception(std::exception_ptr escaped);

// The line logged for an escaped exception (without the "flexilib: " prefix).
std::string escaped_exception_line(const EntryPointCall &call, std::exception_ptr escaped);

// Writes escaped_exception_line() to stderr.
void report_escaped_exception(const EntryPointCall &call, std::exception_ptr escaped) noexcept;

// Runs `call_it`, which calls the entry point. True when it returned; false when an
// exception escaped it, which has then been logged.
template <typename CallIt>
bool call_entry_point(const EntryPointCall &call, CallIt &&call_it) noexcept {
  try {
    call_it();
    return true;
  } catch (...) {
    report_escaped_exception(call, std::current_exception());
    return false;
  }
}

} // namespace flexilib::loader
