/* For the error, supervisor and shutdown tests: a library that misbehaves on demand,
 * as the request header x-mode says:
 *   crlf-header   a header value containing "\r\nInjected: yes" (response splitting)
 *   nul-header    a header value containing a NUL byte
 *   bad-name      a header name containing a space
 *   status-9999, status-99   statuses outside 100..599
 *   reason-crlf   a reason phrase containing "\r\nInjected: yes"
 *   big           a 10 MB body from flexilib_alloc
 *   crash         SIGSEGV, taking the serving process down
 *   hang          never returns
 *   empty         a zero-length body and no headers
 *   content-type  its own "Content-Type: application/x-test"
 *   announce      takes 500 ms
 *   anything else the body "ok"
 * In every mode, a header x-announce-file makes it create that file first: the file
 * tells a test that the request is inside the handler. */
#include "flexilib.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Shared by every thread, but never written: safe to hand out to concurrent requests. */
static char ok[] = "ok", test_name[] = "X-Test", crlf_value[] = "a\r\nInjected: yes",
            nul_value[] = "a\0b", bad_name[] = "Bad Name", crlf_reason[] = "Fine\r\nInjected: yes",
            type_name[] = "Content-Type", type_value[] = "application/x-test";
#define TEXT(array) array, sizeof array - 1
static flexilib_header crlf_header = {TEXT(test_name), TEXT(crlf_value)};
static flexilib_header nul_header = {TEXT(test_name), TEXT(nul_value)};
static flexilib_header bad_name_header = {TEXT(bad_name), TEXT(ok)};
static flexilib_header type_header = {TEXT(type_name), TEXT(type_value)};

static const flexilib_header *find_header(const flexilib_request *request, const char *name) {
  for (size_t i = 0; i < request->headers_len; i++) {
    const flexilib_header *header = &request->headers[i];
    if (header->name_len == strlen(name) &&
        strncasecmp(header->name_ptr, name, header->name_len) == 0)
      return header;
  }
  return NULL;
}

static int mode_is(const flexilib_request *request, const char *mode) {
  const flexilib_header *header = find_header(request, "x-mode");
  return header != NULL && header->value_len == strlen(mode) &&
         memcmp(header->value_ptr, mode, header->value_len) == 0;
}

static void with_header(flexilib_response *response, flexilib_header *header) {
  response->headers = header;
  response->headers_len = 1;
}

static flexilib_response *with_big_body(flexilib_response *response) {
  const size_t size = 10 * 1024 * 1024;
  char *body = flexilib_alloc(size);
  if (body == NULL) return NULL;
  memset(body, 'x', size);
  response->ptr = body;
  response->len = size;
  return response;
}

static void announce(const flexilib_request *request) {
  const flexilib_header *file_header = find_header(request, "x-announce-file");
  char path[512];
  if (file_header == NULL || file_header->value_len >= sizeof path) return;
  memcpy(path, file_header->value_ptr, file_header->value_len);
  path[file_header->value_len] = '\0';
  FILE *file = fopen(path, "w");
  if (file != NULL) fclose(file);
}

static void linger(void) {
  const struct timespec half_a_second = {0, 500 * 1000 * 1000};
  nanosleep(&half_a_second, NULL);
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  if (!flexilib_alloc) return NULL; /* only meant to run inside flexilib */
  flexilib_response *response = flexilib_alloc(sizeof *response);
  if (response == NULL) return NULL;
  *response = (flexilib_response){.ptr = ok, .len = 2};
  announce(request);

  if (mode_is(request, "crlf-header")) with_header(response, &crlf_header);
  if (mode_is(request, "nul-header")) with_header(response, &nul_header);
  if (mode_is(request, "bad-name")) with_header(response, &bad_name_header);
  if (mode_is(request, "content-type")) with_header(response, &type_header);
  if (mode_is(request, "status-9999")) response->status = 9999;
  if (mode_is(request, "status-99")) response->status = 99;
  if (mode_is(request, "reason-crlf")) {
    response->reason_ptr = crlf_reason;
    response->reason_len = sizeof crlf_reason - 1;
  }
  if (mode_is(request, "empty")) *response = (flexilib_response){0};
  if (mode_is(request, "big")) return with_big_body(response);
  if (mode_is(request, "announce")) linger();
  if (mode_is(request, "crash")) raise(SIGSEGV);
  if (mode_is(request, "hang"))
    for (;;)
      pause();
  return response;
}
