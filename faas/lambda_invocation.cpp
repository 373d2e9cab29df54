// Invoking a lambda_handler: limits, context, timing and Lambda's log lines.
#include "faas/lambda_invocation.hpp"

#include "faas/lambda_report.hpp"
#include "loader/entry_point_call.hpp"
#include "timing/clock.hpp"

#include <chrono>
#include <sys/resource.h>
#include <unistd.h>

namespace flexilib::faas {

namespace {

int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t remaining_time_ms(const flexilib_lambda_context *context) {
  return std::max<int64_t>(0, context->deadline_ms - epoch_ms_now());
}

// Lambda's function name for a library: "build/libapi.so" -> "api".
std::string function_name(const std::string &path) {
  std::string name = path.substr(path.rfind('/') + 1);
  if (name.starts_with("lib")) name.erase(0, 3);
  if (const size_t dot = name.find(".so"); dot != std::string::npos) name.erase(dot);
  return name;
}

// The process's peak resident memory: the server and every library share one
// process, so this is an upper bound of what the function would use alone.
int max_memory_used_mb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return int((usage.ru_maxrss + 1023) / 1024);
}

// One write(2) per line, like the server's other diagnostics, so lines stay whole.
void write_log_line(std::string line) {
  line += '\n';
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
}

HttpResponseParts api_gateway_error(int status, std::string_view message) {
  HttpResponseParts parts;
  parts.status = status;
  parts.headers.emplace_back("content-type", "application/json");
  parts.body = "{\"message\":\"" + std::string(message) + "\"}";
  return parts;
}

} // namespace

LambdaOutcome invoke_lambda(const loader::Library &library, const RouteProfile &profile,
                            const HttpRequestView &request, bool cold) {
  LambdaOutcome outcome;
  const std::string request_id = random_request_id();
  const int64_t now_ms = epoch_ms_now();
  const std::string event = build_lambda_event(request, {random_request_id(), now_ms});
  // Lambda refuses the invocation before running anything: no START/REPORT lines.
  if (event.size() > lambda_payload_limit) {
    outcome.response = api_gateway_error(413, "Request Entity Too Large");
    return outcome;
  }
  const std::string name = function_name(library.path());
  const flexilib_lambda_context lambda_context{
      request_id.c_str(),          name.c_str(),     "$LATEST", uint32_t(profile.memory_mb),
      now_ms + profile.timeout_ms, remaining_time_ms};

  write_log_line(start_line(request_id));
  size_t result_length = 0;
  const auto start = Clock::now();
  const char *result = nullptr;
  const bool returned = loader::call_entry_point(
      {library.path(), "lambda_handler", request.route, request.method, request.target}, [&] {
        result =
            library.lambda_handler()(event.c_str(), event.size(), &lambda_context, &result_length);
      });
  const double duration_ms = ms_since(start);
  outcome.invoked = true;

  const bool timed_out = duration_ms > profile.timeout_ms;
  const double reported_ms = timed_out ? double(profile.timeout_ms) : duration_ms;
  outcome.billed_ms = billed_duration_ms(reported_ms);
  if (timed_out) {
    write_log_line(timeout_line(epoch_ms_now(), request_id, profile.timeout_ms));
    outcome.response = api_gateway_error(503, "Service Unavailable");
  } else if (!returned) {
    write_log_line(request_id + " ERROR lambda_handler threw an exception (an unhandled error)");
    outcome.response = api_gateway_error(500, "Internal Server Error");
  } else if (result == nullptr) {
    write_log_line(request_id + " ERROR lambda_handler returned NULL (an unhandled error)");
    outcome.response = api_gateway_error(500, "Internal Server Error");
  } else if (result_length > lambda_payload_limit) {
    write_log_line(request_id + " ERROR response of " + std::to_string(result_length) +
                   " bytes exceeds Lambda's 6291456-byte payload limit");
    outcome.response = api_gateway_error(502, "Internal Server Error");
  } else {
    outcome.response = map_lambda_result({result, result_length});
    if (!outcome.response.error.empty()) {
      write_log_line(request_id + " ERROR invalid response: " + outcome.response.error);
      outcome.response = api_gateway_error(500, "Internal Server Error");
    }
  }
  write_log_line(end_line(request_id));
  InvocationReport report{request_id,           reported_ms, profile.memory_mb,
                          max_memory_used_mb(), {},          timed_out};
  if (cold) report.init_duration_ms = library.load_ms() + library.init_ms();
  write_log_line(report_line(report));
  return outcome;
}

} // namespace flexilib::faas
