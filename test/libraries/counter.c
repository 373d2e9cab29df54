/* For the reload tests: the body is VERSION_TEXT ("v1"; CMake builds a "v2" copy from
 * this same file), so a test can tell which copy answered. The lifecycle hooks append
 * "load v1" / "unload v1" lines to the file named by FLEXILIB_TEST_HOOK_LOG, when set. */
#include "flexilib.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef VERSION_TEXT
#define VERSION_TEXT "v1"
#endif

FLEXILIB_EXPORT_ABI_VERSION

static void log_hook(const char *hook) {
  const char *path = getenv("FLEXILIB_TEST_HOOK_LOG");
  if (path == NULL) return;
  FILE *file = fopen(path, "a");
  if (file == NULL) return;
  fprintf(file, "%s %s\n", hook, VERSION_TEXT);
  fclose(file);
}

FLEXILIB_API int flexilib_on_load(void) {
  log_hook("load");
  return 0;
}

FLEXILIB_API void flexilib_on_unload(void) {
  log_hook("unload");
}

/* The same for every request and never written: safe to share between threads. */
static char body[] = VERSION_TEXT;
static flexilib_response response = {.ptr = body, .len = sizeof body - 1};

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  return &response;
}
