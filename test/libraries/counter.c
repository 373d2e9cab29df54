/* For the reload tests: the body is VERSION_TEXT ("v1"; CMake builds a "v2" copy from
 * this same file), so a test can tell which copy answered. The lifecycle hooks append
 * "load v1" / "unload v1" lines to the file named by FLEXILIB_TEST_HOOK_LOG, when set.
 * A request with "x-announce-file: PATH" creates PATH from inside the handler and then
 * takes 500 ms: tests wait for the file to know a request is in flight. */
#include "flexilib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void announce_and_wait(const flexilib_request *request) {
  for (size_t i = 0; i < request->headers_len; i++) {
    const flexilib_header *header = &request->headers[i];
    if (header->name_len != 15 || memcmp(header->name_ptr, "x-announce-file", 15) != 0) continue;
    char path[512];
    if (header->value_len >= sizeof path) return;
    memcpy(path, header->value_ptr, header->value_len);
    path[header->value_len] = '\0';
    FILE *file = fopen(path, "w");
    if (file) fclose(file);
    struct timespec pause = {0, 500 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  announce_and_wait(request);
  return &response;
}
