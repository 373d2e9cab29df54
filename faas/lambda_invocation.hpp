// One invocation of a Lambda-profile library, as Lambda runs it: the context with its
// deadline, the timeout, the result limit and the START/END/REPORT lines on stderr,
// whoever asked for it (API Gateway with an HTTP request's event, or the Invoke API
// with a raw event); and API Gateway's side of it, the payload limit and the result
// mapping.
#pragma once

#include "faas/lambda_event.hpp"
#include "faas/route_profile.hpp"
#include "loader/library.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace flexilib::faas {

// Lambda's limit on the invocation payload (the event) and on the function's result.
constexpr size_t lambda_payload_limit = 6 * 1024 * 1024;

// Lambda's function name for a library: "build/libapi.so" -> "api".
std::string lambda_function_name(std::string_view library_path);

// What came of calling lambda_handler once.
struct HandlerCall {
  enum class Verdict { result, no_result, threw, result_too_large, timed_out } verdict;
  std::string_view result; // the handler's bytes (also when too large), until the arena resets
  std::string error_line;  // the line logged for any verdict but `result`
};

class LambdaInvocation {
public:
  // `cold` says this is the generation's first request (REPORT then carries Init
  // Duration). `keep_log`: keep a copy of every line written, for log_text().
  LambdaInvocation(const loader::Library &library, const RouteProfile &profile, bool cold,
                   bool keep_log = false);
  LambdaInvocation(const LambdaInvocation &) = delete;
  LambdaInvocation &operator=(const LambdaInvocation &) = delete;

  // Writes START, runs lambda_handler with `event` on the calling thread and logs what
  // went wrong, if anything. The handler cannot be interrupted: a timeout is found
  // when it returns. Call once. (A string, as the handler reads it NUL-terminated.)
  // `request` names what is being served in the line an escaped exception logs.
  struct RequestNames {
    std::string_view route, method, target;
  };
  HandlerCall call(const std::string &event, const RequestNames &request);
  // "<request id> ERROR <message>", for an error the caller finds in the result.
  void log_error(std::string_view message);
  // Writes END and REPORT. Call once, after call().
  void finish();

  const std::string &request_id() const { return request_id_; }
  int64_t billed_ms() const { return billed_ms_; }
  // Every line written so far, each ending in '\n' (empty without keep_log).
  const std::string &log_text() const { return log_; }

private:
  void write_line(std::string line);

  const loader::Library &library_;
  const RouteProfile &profile_;
  const bool cold_;
  const bool keep_log_;
  const std::string request_id_;
  std::string log_;
  double reported_ms_ = 0;
  int64_t billed_ms_ = 0;
  bool timed_out_ = false;
};

struct LambdaOutcome {
  HttpResponseParts response; // what API Gateway answers the client
  int64_t billed_ms = 0;      // 0 when the function was never invoked
  bool invoked = false;
};

// API Gateway's invocation for an HTTP request: `request` becomes the event, the
// function's result (or failure) becomes API Gateway's answer.
LambdaOutcome invoke_lambda(const loader::Library &library, const RouteProfile &profile,
                            const HttpRequestView &request, bool cold);

} // namespace flexilib::faas
