/* For the ABI tests: a library written only against the original FlexiLib's struct
 * layout, without flexilib.h, so it shows that libraries built for FlexiLib load unchanged.
 * Its body echoes what it received: "target=", "method=", "content=" lines, then one
 * "name=value" line per header, in order. With header x-created it answers 201 "Made It".
 * Header x-deinit-count tells how often request_deinit has run so far. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The original layout, field for field. */
struct Header {
  char *name_ptr;
  size_t name_len;
  char *value_ptr;
  size_t value_len;
};
struct Request {
  const char *target;
  size_t target_len;
  char *method;
  size_t method_len;
  char *content;
  size_t content_len;
  struct Header *headers;
  size_t headers_len;
};
struct Response {
  char *ptr;
  size_t len;
  struct Header *headers;
  size_t headers_len;
  size_t status;
  char *reason_ptr;
  size_t reason_len;
};

#define EXPORT __attribute__((visibility("default")))

static atomic_long deinit_count;

/* This thread's response, as FlexiLib's C libraries kept it: the body is malloc'd and
 * freed by request_deinit, which the server calls on the same thread afterwards. */
static _Thread_local struct Response response;
static _Thread_local struct Header count_header;
static _Thread_local char count_text[24];
static _Thread_local char *body;

static char *append(char *at, const char *text, size_t len) {
  memcpy(at, text, len);
  return at + len;
}

static char *append_line(char *at, const char *name, const char *value, size_t value_len) {
  at = append(at, name, strlen(name));
  at = append(at, "=", 1);
  at = append(at, value, value_len);
  return append(at, "\n", 1);
}

static int has_header(const struct Request *request, const char *name) {
  for (size_t i = 0; i < request->headers_len; i++) {
    const struct Header *header = &request->headers[i];
    if (header->name_len == strlen(name) &&
        strncasecmp(header->name_ptr, name, header->name_len) == 0)
      return 1;
  }
  return 0;
}

EXPORT struct Response *handle_request(struct Request *request) {
  size_t capacity = 32 + request->target_len + request->method_len + request->content_len;
  for (size_t i = 0; i < request->headers_len; i++)
    capacity += request->headers[i].name_len + request->headers[i].value_len + 2;
  body = malloc(capacity);
  if (body == NULL) return NULL;

  /* Copied by length, not printed as C strings: none of these need a NUL at the end. */
  char *end = append_line(body, "target", request->target, request->target_len);
  end = append_line(end, "method", request->method, request->method_len);
  end = append_line(end, "content", request->content, request->content_len);
  for (size_t i = 0; i < request->headers_len; i++) {
    const struct Header *header = &request->headers[i];
    end = append(end, header->name_ptr, header->name_len);
    end = append_line(end, "", header->value_ptr, header->value_len);
  }

  snprintf(count_text, sizeof count_text, "%ld", atomic_load(&deinit_count));
  count_header = (struct Header){"x-deinit-count", 14, count_text, strlen(count_text)};
  response = (struct Response){body, (size_t)(end - body), &count_header, 1, 0, NULL, 0};
  if (has_header(request, "x-created")) {
    response.status = 201;
    response.reason_ptr = "Made It";
    response.reason_len = 7;
  }
  return &response;
}

EXPORT void request_deinit(void) {
  free(body);
  body = NULL;
  atomic_fetch_add(&deinit_count, 1);
}
