// AWS Lambda behind an API Gateway HTTP API, payload format 2.0: the event JSON a
// request becomes and the HTTP response a function's result becomes. Pure functions
// of their inputs (ids and clock passed in), so the exact JSON is golden-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flexilib::faas {

// The HTTP request as the client sent it.
struct HttpRequestView {
  std::string_view method, target, protocol, source_ip, body;
  std::vector<std::pair<std::string_view, std::string_view>> headers; // in arrival order
  std::string_view route = {}; // the proxy.ini route, for the log
};

// What API Gateway makes up for each request.
struct EventStamp {
  std::string request_id;    // requestContext.requestId
  int64_t time_epoch_ms = 0; // requestContext.timeEpoch
};

// The event as API Gateway sends it to the function (see README, AWS Lambda profile).
std::string build_lambda_event(const HttpRequestView &request, const EventStamp &stamp);

struct HttpResponseParts {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers; // Set-Cookie repeated
  std::string body;
  std::string error; // not empty: the result was unusable, answer 500
};

// What API Gateway answers for a function's result: a v2.0 response object, or any
// other result sent as a 200 application/json body.
HttpResponseParts map_lambda_result(std::string_view result);

// "12/Mar/2020:19:03:58 +0000", requestContext.time's format.
std::string api_gateway_time(int64_t epoch_ms);

} // namespace flexilib::faas
