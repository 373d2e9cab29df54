/* For the stuck-handler stress test: sleeps for the microseconds the request header
 * x-sleep-us says, then answers "ok". */
#include "flexilib.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static char ok[] = "ok";

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  long sleep_us = 0;
  for (size_t i = 0; i < request->headers_len; i++) {
    const flexilib_header *header = &request->headers[i];
    if (header->name_len == 10 && strncasecmp(header->name_ptr, "x-sleep-us", 10) == 0) {
      char digits[24] = {0};
      memcpy(digits, header->value_ptr, header->value_len < 23 ? header->value_len : 23);
      sleep_us = atol(digits);
    }
  }
  const struct timespec pause = {sleep_us / 1000000, (sleep_us % 1000000) * 1000};
  nanosleep(&pause, NULL);
  static __thread flexilib_response response;
  memset(&response, 0, sizeof response);
  response.ptr = ok;
  response.len = 2;
  return &response;
}
