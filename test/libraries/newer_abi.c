/* For the loader tests: a library built against a newer flexilib.h than the server's,
 * which the server must refuse rather than guess at. */
#include "flexilib.h"

FLEXILIB_API const uint32_t flexilib_abi_version = FLEXILIB_ABI_VERSION + 1;

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  return NULL;
}
