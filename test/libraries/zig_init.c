/* For the Zig allocator tests: a library that uses the allocator zigInit passes the
 * way a Zig 0.11 library does (executors/flexilib.zig), written in C so that it needs
 * no Zig toolchain: the response struct, a body that grows in place, a page-aligned
 * block, a body that must move (alloc, copy, free), a header array. The body says
 * what the allocator did: "in-place aligned moved" when all went as it should. */
#include "flexilib.h"

#include <stdint.h>
#include <string.h>

/* Zig's std.mem.Allocator (0.11 to 0.13), as flexilib.h declares it in C terms. */
static _Thread_local const flexilib_zig_allocator *allocator;

FLEXILIB_API void zigInit(void *parent_allocator) {
  allocator = parent_allocator;
}

static uint8_t *zig_alloc(size_t len, uint8_t log2_align) {
  return allocator->vtable->alloc(allocator->ctx, len, log2_align, 0);
}
static bool zig_resize(uint8_t *buf, size_t len, size_t new_len) {
  return allocator->vtable->resize(allocator->ctx, buf, len, 0, new_len, 0);
}
static void zig_free(uint8_t *buf, size_t len) {
  allocator->vtable->free(allocator->ctx, buf, len, 0, 0);
}

static void append(char *text, size_t *len, const char *word) {
  memcpy(text + *len, word, strlen(word));
  *len += strlen(word);
}

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  (void)request;
  if (allocator == NULL) return NULL; /* as FlexiLib's interface: no zigInit, no response */
  flexilib_response *response = (flexilib_response *)zig_alloc(sizeof *response, 3);
  uint8_t *body = zig_alloc(16, 0);
  if (response == NULL || body == NULL) return NULL;
  char report[64];
  size_t report_len = 0;
  /* The newest block grows where it is. */
  if (zig_resize(body, 16, 100)) append(report, &report_len, "in-place ");
  uint8_t *page = zig_alloc(4096, 12);
  if (page == NULL) return NULL;
  memset(page, 'p', 4096);
  if ((uintptr_t)page % 4096 == 0) append(report, &report_len, "aligned ");
  /* The body is no longer the newest block: growing it needs a new one. */
  if (!zig_resize(body, 100, 200)) {
    uint8_t *bigger = zig_alloc(200, 0);
    if (bigger == NULL) return NULL;
    memcpy(bigger, body, 100);
    zig_free(body, 100);
    body = bigger;
    append(report, &report_len, "moved");
  }
  memcpy(body, report, report_len);
  flexilib_header *headers = (flexilib_header *)zig_alloc(sizeof *headers, 3);
  if (headers == NULL) return NULL;
  static char name[] = "x-allocator", value[] = "zig";
  *headers = (flexilib_header){name, sizeof name - 1, value, sizeof value - 1};
  *response = (flexilib_response){
      .ptr = (char *)body, .len = report_len, .headers = headers, .headers_len = 1};
  return response;
}
