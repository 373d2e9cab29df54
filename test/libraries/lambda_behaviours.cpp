// A Lambda-profile test library: what it does depends on the event's rawPath suffix.
//   .../event         the event itself as a bare result (API Gateway: 200 JSON body)
//   .../sleep?ms=N    sleeps N ms, then answers 200 (the timeout tests)
//   .../big?bytes=N   a result of N bytes (the response payload limit)
//   .../binary        a base64 body, a cookie and a header (response mapping)
//   .../string        a bare JSON string result
//   .../null          returns NULL (an unhandled error)
#include "flexilib.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

FLEXILIB_EXPORT_ABI_VERSION

namespace {

const char *copy_out(const std::string &text, size_t *length) {
  char *out = static_cast<char *>(flexilib_alloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.c_str(), text.size() + 1);
  *length = text.size();
  return out;
}

long query_number(const nlohmann::json &event, const char *name, long fallback) {
  const auto parameters = event.find("queryStringParameters");
  if (parameters == event.end() || !parameters->contains(name)) return fallback;
  return std::stol((*parameters)[name].get<std::string>());
}

} // namespace

FLEXILIB_API const char *lambda_handler(const char *event_json, size_t event_len,
                                        const flexilib_lambda_context *context,
                                        size_t *response_len) {
  const nlohmann::json event = nlohmann::json::parse(event_json, event_json + event_len);
  const std::string path = event["rawPath"];
  if (path.ends_with("/event")) return copy_out(event_json, response_len);
  if (path.ends_with("/null")) return nullptr;
  if (path.ends_with("/string")) return copy_out("\"just a string\"", response_len);
  if (path.ends_with("/big")) {
    const std::string big(size_t(query_number(event, "bytes", 1)), 'x');
    return copy_out(nlohmann::json{{"statusCode", 200}, {"body", big}}.dump(), response_len);
  }
  if (path.ends_with("/binary"))
    return copy_out(nlohmann::json{{"statusCode", 201},
                                   {"headers",
                                    {{"content-type", "application/octet-stream"},
                                     {"x-request-id", context->aws_request_id}}},
                                   {"cookies", {"a=1; Path=/", "b=2"}},
                                   {"body", "AAEC/w=="}, // bytes 00 01 02 ff
                                   {"isBase64Encoded", true}}
                        .dump(),
                    response_len);
  if (path.ends_with("/sleep"))
    std::this_thread::sleep_for(std::chrono::milliseconds(query_number(event, "ms", 0)));
  return copy_out(R"({"statusCode":200,"body":"done"})", response_len);
}
