/* A FlexiLib handler that spends CPU time (not wall time) before answering, for the
 * Cloudflare CPU-limit tests: "?ms=N" burns N ms of this thread's CPU time. */
#include "flexilib.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double thread_cpu_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  long burn_ms = 0;
  const char *ms = memmem(request->target, request->target_len, "ms=", 3);
  if (ms != NULL) burn_ms = strtol(ms + 3, NULL, 10);
  const double start = thread_cpu_ms();
  volatile unsigned long spins = 0;
  while (thread_cpu_ms() - start < (double)burn_ms)
    spins = spins + 1;
  flexilib_response *response = flexilib_alloc(sizeof *response);
  if (response == NULL) return NULL;
  *response = (flexilib_response){.ptr = "burned\n", .len = 7};
  return response;
}
