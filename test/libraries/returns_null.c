/* For the error tests: a handler that always fails. NULL means failure, which the
 * server answers with 500 and a log line. */
#include "flexilib.h"

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  return NULL;
}
