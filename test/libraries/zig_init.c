/* For the loader tests: a library built for the original FlexiLib's Zig allocator. It
 * exports zigInit, which this server refuses with an error naming it. */
#include "flexilib.h"

FLEXILIB_API void zigInit(void *allocator) {
  (void)allocator;
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  return NULL;
}
