/* example.c: the original FlexiLib's example handler, rewritten in C as a model for
 * library authors. It answers with a space and the number of request headers (" 1"
 * for one header) and the header "X-custom-foo: bar", and reacts to request headers:
 *   Host: iam...       body "iam response"
 *   x-status: N        status N
 *   x-log-this: TEXT   TEXT before the body
 *   x-slow: MS         sleep MS milliseconds first
 *   x-throw            fail (500; with x-status, that status and an error body)
 * Many threads call handle_request at once, so everything a response needs lives in
 * memory of its own request (see response_memory), never in shared globals. */
#include "flexilib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

FLEXILIB_EXPORT_ABI_VERSION

/* Everything one response needs, in one block: the body follows the struct. */
typedef struct response_block {
  flexilib_response response;
  flexilib_header headers[1];
  char body[];
} response_block;

/* The longest body after x-log-this's TEXT: "iam response" or " " and a size_t. */
enum { longest_own_body = 24 };

/* Memory that stays valid until the response has been written. In flexilib that is
 * flexilib_alloc, freed by the server: no request_deinit needed. A host without it
 * (the original FlexiLib) gets this thread's buffer, reused by the thread's next
 * request, which caps the body at its size. */
static response_block *response_memory(size_t body_capacity) {
  const size_t size = sizeof(response_block) + body_capacity;
  if (flexilib_alloc) return flexilib_alloc(size);
  static _Thread_local _Alignas(16) char fallback[8192];
  return size <= sizeof fallback ? (response_block *)fallback : NULL;
}

/* The request header called `name` (any case), or NULL. */
static const flexilib_header *find_header(const flexilib_request *request, const char *name) {
  const size_t name_len = strlen(name);
  for (size_t i = 0; i < request->headers_len; i++) {
    const flexilib_header *header = &request->headers[i];
    if (header->name_len == name_len && strncasecmp(header->name_ptr, name, name_len) == 0)
      return header;
  }
  return NULL;
}

/* The value of header `name` as a non-negative number, or -1 when it is absent or
 * not a number. Values are not NUL-terminated, hence the copy before strtol. */
static long header_number(const flexilib_request *request, const char *name) {
  const flexilib_header *header = find_header(request, name);
  char digits[16];
  if (header == NULL || header->value_len == 0 || header->value_len >= sizeof digits) return -1;
  memcpy(digits, header->value_ptr, header->value_len);
  digits[header->value_len] = '\0';
  char *end;
  const long value = strtol(digits, &end, 10);
  return *end == '\0' && value >= 0 ? value : -1;
}

static int value_starts_with(const flexilib_header *header, const char *prefix) {
  const size_t prefix_len = strlen(prefix);
  return header != NULL && header->value_len >= prefix_len &&
         memcmp(header->value_ptr, prefix, prefix_len) == 0;
}

static void sleep_ms(long ms) {
  const struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
}

/* The body: x-log-this's TEXT, then "iam response" or the header count. */
static size_t write_body(const flexilib_request *request, char *body, size_t capacity) {
  const flexilib_header *log_this = find_header(request, "x-log-this");
  size_t len = 0;
  if (log_this != NULL) {
    memcpy(body, log_this->value_ptr, log_this->value_len);
    len = log_this->value_len;
  }
  if (value_starts_with(find_header(request, "host"), "iam"))
    return len + (size_t)snprintf(body + len, capacity - len, "iam response");
  return len + (size_t)snprintf(body + len, capacity - len, " %zu", request->headers_len);
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  const long slow_ms = header_number(request, "x-slow");
  if (slow_ms > 0) sleep_ms(slow_ms);

  const long status = header_number(request, "x-status");
  const int fail = find_header(request, "x-throw") != NULL;
  /* NULL always means 500 to the server, but FlexiLib answered a failure with
   * x-status's status when one was set: that needs a real response. */
  if (fail && status < 0) return NULL;

  const flexilib_header *log_this = find_header(request, "x-log-this");
  const size_t body_capacity = (log_this ? log_this->value_len : 0) + longest_own_body;
  response_block *block = response_memory(body_capacity);
  if (block == NULL) return NULL;

  /* Shared by all threads but never written, so safe; char[] because the struct wants char *. */
  static char custom_name[] = "X-custom-foo", custom_value[] = "bar";
  block->headers[0] =
      (flexilib_header){custom_name, sizeof custom_name - 1, custom_value, sizeof custom_value - 1};
  block->response = (flexilib_response){.headers = block->headers, .headers_len = 1};
  block->response.status = status < 0 ? 0 : (size_t)status;
  block->response.ptr = block->body;
  if (fail)
    block->response.len = (size_t)snprintf(block->body, body_capacity, "handler failed");
  else
    block->response.len = write_body(request, block->body, body_capacity);
  return &block->response;
}
