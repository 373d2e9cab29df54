/* lambda_example.c: an AWS Lambda-style handler (route it as "lambda:"): it answers
 * with an API Gateway v2.0 response built from its context: status, a header, a
 * cookie and a JSON body. It reads no field of the event, so it needs no JSON parser;
 * a C handler that does should use a JSON library (cJSON, jansson): the event is
 * plain JSON, and a home-made parser here would be one more to get wrong. */
#include "flexilib.h"

#include <stdio.h>

FLEXILIB_EXPORT_ABI_VERSION

FLEXILIB_API const char *lambda_handler(const char *event_json, size_t event_len,
                                        const flexilib_lambda_context *context,
                                        size_t *response_len) {
  (void)event_json;
  static const char format[] =
      "{\"statusCode\":200,"
      "\"headers\":{\"content-type\":\"application/json\",\"x-function\":\"%s\"},"
      "\"cookies\":[\"last_request=%s; Path=/\"],"
      "\"body\":\"{\\\"message\\\":\\\"hello from lambda\\\",\\\"requestId\\\":\\\"%s\\\","
      "\\\"memoryMB\\\":%u,\\\"remainingMs\\\":%lld,\\\"eventBytes\\\":%zu}\"}";
  const size_t capacity = 1024;
  char *response = flexilib_alloc(capacity); /* freed by the server after the response */
  if (response == NULL) return NULL;         /* an unhandled error: API Gateway answers 500 */
  const int length =
      snprintf(response, capacity, format, context->function_name, context->aws_request_id,
               context->aws_request_id, context->memory_limit_in_mb,
               (long long)context->get_remaining_time_in_millis(context), event_len);
  if (length < 0 || (size_t)length >= capacity) return NULL;
  *response_len = (size_t)length;
  return response;
}
