// Describing and logging an exception that escaped a library's entry point.
#include "loader/entry_point_call.hpp"

#include "diagnostics/diagnostic_log.hpp"

namespace flexilib::loader {

std::string describe_exception(std::exception_ptr escaped) {
  std::string text;
  try {
    std::rethrow_exception(escaped);
  } catch (const std::exception &error) {
    text = error.what();
  } catch (...) {
    return "unknown exception";
  }
  // One log line, whatever the library put in its message.
  for (char &c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::string escaped_exception_line(const EntryPointCall &call, std::exception_ptr escaped) {
  std::string line(call.library);
  line.append(": exception escaped ").append(call.function);
  if (!call.method.empty()) {
    line.append(" (route ").append(call.route).append(", ");
    line.append(call.method);
    if (!call.target.empty()) line.append(" ").append(call.target);
    line.append(")");
  }
  return line.append(": ").append(describe_exception(escaped));
}

void report_escaped_exception(const EntryPointCall &call, std::exception_ptr escaped) noexcept {
  try {
    diagnostics::write_diagnostic(escaped_exception_line(call, escaped));
  } catch (...) {
    // Out of memory for the line itself: the call site still answers as for a failure.
  }
}

} // namespace flexilib::loader
