// One invocation of a Lambda-profile library, as Lambda and API Gateway would run
// it: the payload limit, the event, the context with its deadline, the timeout, the
// result mapping and the START/END/REPORT lines on stderr.
#pragma once

#include "faas/lambda_event.hpp"
#include "faas/route_profile.hpp"
#include "loader/library.hpp"

#include <cstdint>

namespace flexilib::faas {

// Lambda's limit on the invocation payload (the event) and on the function's result.
constexpr size_t lambda_payload_limit = 6 * 1024 * 1024;

struct LambdaOutcome {
  HttpResponseParts response; // what API Gateway answers the client
  int64_t billed_ms = 0;      // 0 when the function was never invoked
  bool invoked = false;
};

// Runs the library's lambda_handler for `request` on the calling thread. `cold` says
// this is the generation's first request (REPORT then carries Init Duration). The
// handler cannot be interrupted: a timeout is found when it returns, and only then
// does the client get API Gateway's answer.
LambdaOutcome invoke_lambda(const loader::Library &library, const RouteProfile &profile,
                            const HttpRequestView &request, bool cold);

} // namespace flexilib::faas
