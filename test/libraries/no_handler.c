/* For the loader tests: a valid shared library that is not a handler, because it
 * exports no handle_request. */
#include "flexilib.h"

FLEXILIB_API int something_else(void) {
  return 42;
}
