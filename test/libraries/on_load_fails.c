/* For the lifecycle tests: a library whose load hook refuses the load, so it must never
 * serve a request. */
#include "flexilib.h"

FLEXILIB_EXPORT_ABI_VERSION

FLEXILIB_API int flexilib_on_load(void) {
  return 1;
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  return NULL;
}
