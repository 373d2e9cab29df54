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

// The process's peak resident memory: the server and every library share one
// process, so this is an upper bound of what the function would use alone.
int max_memory_used_mb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return int((usage.ru_maxrss + 1023) / 1024);
}

HttpResponseParts api_gateway_error(int status, std::string_view message) {
  HttpResponseParts parts;
  parts.status = status;
  parts.headers.emplace_back("content-type", "application/json");
  parts.body = "{\"message\":\"" + std::string(message) + "\"}";
  return parts;
}

} // namespace

std::string lambda_function_name(std::string_view library_path) {
  std::string name(library_path.substr(library_path.rfind('/') + 1));
  if (name.starts_with("lib")) name.erase(0, 3);
  if (const size_t dot = name.find(".so"); dot != std::string::npos) name.erase(dot);
  return name;
}

LambdaInvocation::LambdaInvocation(const loader::Library &library, const RouteProfile &profile,
                                   bool cold, bool keep_log)
    : library_(library), profile_(profile), cold_(cold), keep_log_(keep_log),
      request_id_(random_request_id()) {}

// One write(2) per line, like the server's other diagnostics, so lines stay whole.
void LambdaInvocation::write_line(std::string line) {
  line += '\n';
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
  if (keep_log_) log_ += line;
}

void LambdaInvocation::log_error(std::string_view message) {
  write_line(request_id_ + " ERROR " + std::string(message));
}

HandlerCall LambdaInvocation::call(const std::string &event, const RequestNames &request) {
  const std::string name = lambda_function_name(library_.path());
  const int64_t now_ms = epoch_ms_now();
  const flexilib_lambda_context context{
      request_id_.c_str(),          name.c_str(),     "$LATEST", uint32_t(profile_.memory_mb),
      now_ms + profile_.timeout_ms, remaining_time_ms};

  write_line(start_line(request_id_));
  size_t result_length = 0;
  const auto start = Clock::now();
  const char *result = nullptr;
  const bool returned = loader::call_entry_point(
      {library_.path(), "lambda_handler", request.route, request.method, request.target}, [&] {
        result = library_.lambda_handler()(event.c_str(), event.size(), &context, &result_length);
      });
  const double duration_ms = ms_since(start);

  timed_out_ = duration_ms > profile_.timeout_ms;
  reported_ms_ = timed_out_ ? double(profile_.timeout_ms) : duration_ms;
  billed_ms_ = billed_duration_ms(reported_ms_);
  HandlerCall outcome{HandlerCall::Verdict::result, {}, {}};
  if (result != nullptr) outcome.result = {result, result_length};
  if (timed_out_) {
    outcome.verdict = HandlerCall::Verdict::timed_out;
    outcome.error_line = timeout_line(epoch_ms_now(), request_id_, profile_.timeout_ms);
  } else if (!returned) {
    outcome.verdict = HandlerCall::Verdict::threw;
    outcome.error_line =
        request_id_ + " ERROR lambda_handler threw an exception (an unhandled error)";
  } else if (result == nullptr) {
    outcome.verdict = HandlerCall::Verdict::no_result;
    outcome.error_line = request_id_ + " ERROR lambda_handler returned NULL (an unhandled error)";
  } else if (result_length > lambda_payload_limit) {
    outcome.verdict = HandlerCall::Verdict::result_too_large;
    outcome.error_line = request_id_ + " ERROR response of " + std::to_string(result_length) +
                         " bytes exceeds Lambda's 6291456-byte payload limit";
  }
  if (!outcome.error_line.empty()) write_line(outcome.error_line);
  return outcome;
}

void LambdaInvocation::finish() {
  write_line(end_line(request_id_));
  InvocationReport report{request_id_,          reported_ms_, profile_.memory_mb,
                          max_memory_used_mb(), {},           timed_out_};
  if (cold_) report.init_duration_ms = library_.load_ms() + library_.init_ms();
  write_line(report_line(report));
}

LambdaOutcome invoke_lambda(const loader::Library &library, const RouteProfile &profile,
                            const HttpRequestView &request, bool cold) {
  LambdaOutcome outcome;
  const std::string event = build_lambda_event(request, {random_request_id(), epoch_ms_now()});
  // Lambda refuses the invocation before running anything: no START/REPORT lines.
  if (event.size() > lambda_payload_limit) {
    outcome.response = api_gateway_error(413, "Request Entity Too Large");
    return outcome;
  }
  LambdaInvocation invocation(library, profile, cold);
  const HandlerCall call = invocation.call(event, {request.route, request.method, request.target});
  outcome.invoked = true;
  outcome.billed_ms = invocation.billed_ms();
  switch (call.verdict) {
  case HandlerCall::Verdict::timed_out:
    outcome.response = api_gateway_error(503, "Service Unavailable");
    break;
  case HandlerCall::Verdict::threw:
  case HandlerCall::Verdict::no_result:
    outcome.response = api_gateway_error(500, "Internal Server Error");
    break;
  case HandlerCall::Verdict::result_too_large:
    outcome.response = api_gateway_error(502, "Internal Server Error");
    break;
  case HandlerCall::Verdict::result:
    outcome.response = map_lambda_result(call.result);
    if (!outcome.response.error.empty()) {
      invocation.log_error("invalid response: " + outcome.response.error);
      outcome.response = api_gateway_error(500, "Internal Server Error");
    }
    break;
  }
  invocation.finish();
  return outcome;
}

} // namespace flexilib::faas
