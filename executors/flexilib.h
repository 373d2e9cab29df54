/* flexilib.h: the C interface between the flexilib server and a handler library.
 *
 * The structs are binary-compatible with the original FlexiLib (Zig), so a library
 * built for it loads unchanged. Everything after "Extensions" is optional.
 *
 * The common case, in five lines:
 *
 *     #include "flexilib.h"
 *     FLEXILIB_EXPORT_ABI_VERSION
 *     static flexilib_response response;
 *     FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
 *         response = (flexilib_response){.ptr = "hello", .len = 5};
 *         return &response;
 *     }
 *
 * Threading: handle_request is called on one of the server's serving threads, many
 * at once on different threads. Keep per-request state on the stack, in thread-local
 * storage or in memory from flexilib_alloc, never in unguarded globals (the example
 * above is only safe because every request writes the same values).
 *
 * Strings are a pointer plus a length and are NOT NUL-terminated unless noted.
 */
#ifndef FLEXILIB_H
#define FLEXILIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define FLEXILIB_API extern "C" __attribute__((visibility("default")))
#else
#define FLEXILIB_API __attribute__((visibility("default")))
#endif

/* One HTTP header. Request headers point into the server's buffers: read them,
 * never write them. Response headers are the library's: the server copies them
 * before request_deinit is called. */
typedef struct flexilib_header {
  char *name_ptr; /* header name as sent, original case */
  size_t name_len;
  char *value_ptr; /* value with surrounding whitespace removed */
  size_t value_len;
} flexilib_header;

/* What the library receives. Valid only during handle_request; copy what must live
 * longer. */
typedef struct flexilib_request {
  const char *target; /* request target as sent: path and query, e.g. "/c/x?y=1" */
  size_t target_len;
  char *method; /* "GET", "POST", ...: also NUL-terminated */
  size_t method_len;
  char *content; /* request body (content_len 0: no body) */
  size_t content_len;
  flexilib_header *headers; /* the headers the client sent, in arrival order */
  size_t headers_len;
} flexilib_request;

/* What the library returns. The server reads it after handle_request returns and
 * keeps using ptr until the body is written; request_deinit comes after that. */
typedef struct flexilib_response {
  char *ptr; /* response body */
  size_t len;
  flexilib_header *headers; /* extra response headers; no content-type: text/plain */
  size_t headers_len;
  size_t status;    /* 0 means 200; otherwise 100..599, anything else is a 500 */
  char *reason_ptr; /* reason phrase (reason_len 0: the standard one) */
  size_t reason_len;
} flexilib_response;

/* Required. Returns the response, or NULL when the handler failed: the client then
 * gets 500 Internal Server Error. Header names or values containing CR, LF or NUL
 * are refused (500) so a response can never be split. */
FLEXILIB_API flexilib_response *handle_request(flexilib_request *request);

/* Optional. Called on the same thread after the response has been written, so the
 * library can free what handle_request returned. */
FLEXILIB_API void request_deinit(void);

/* ---- Extensions: what the original FlexiLib did not have ------------------------ */

/* The version of this interface. A library states the version it was built against
 * by writing FLEXILIB_EXPORT_ABI_VERSION once in one source file. A library without
 * it is taken as version 0 (built for the original FlexiLib), which loads the same
 * way; a library newer than the server is refused with a clear error. */
#define FLEXILIB_ABI_VERSION 1
#define FLEXILIB_EXPORT_ABI_VERSION                                                                \
  FLEXILIB_API const uint32_t flexilib_abi_version = FLEXILIB_ABI_VERSION;

/* Per-request memory from the server's per-thread arena (RESPONSE_PREALLOCATION_KB,
 * falling back to the heap when it is used up). Aligned to 16 bytes, valid until the
 * response has been written, freed by the server: never free() it. Every byte counts
 * in the request's "alloc" figure. Returns NULL when the heap is exhausted or when
 * called outside handle_request (e.g. from flexilib_on_load).
 * Provided by the server executable; weak here so a library also links and loads
 * outside flexilib (test `if (flexilib_alloc)` there and fall back to malloc). */
__attribute__((weak)) void *flexilib_alloc(size_t size);

/* Optional lifecycle hooks, the "init phase" of a FaaS function. flexilib_on_load runs
 * once after a generation of the library is loaded, before its first request; a
 * non-zero return refuses the load (the previous generation keeps serving).
 * flexilib_on_unload runs once before a generation is closed, after its last
 * request has finished, on whichever server thread releases it. The time each takes
 * is logged. */
FLEXILIB_API int flexilib_on_load(void);
FLEXILIB_API void flexilib_on_unload(void);

/* ---- AWS Lambda profile (a proxy.ini target starting with "lambda:") ------------
 *
 * A library routed as `/api = lambda:libapi.so` exports lambda_handler instead of
 * handle_request. It receives what an AWS Lambda function behind an API Gateway HTTP
 * API (payload format 2.0) receives: the event as JSON text and a context.
 *
 *     FLEXILIB_API const char *lambda_handler(const char *event_json, size_t event_len,
 *                                             const flexilib_lambda_context *context,
 *                                             size_t *response_len) {
 *         static const char reply[] = "{\"statusCode\":200,\"body\":\"hi\"}";
 *         *response_len = sizeof reply - 1;
 *         return reply;
 *     }
 *
 * The event is AWS's, field for field (version "2.0", routeKey "$default", rawPath,
 * rawQueryString, cookies, headers, queryStringParameters, requestContext, body,
 * isBase64Encoded); event_json is also NUL-terminated. The return value is the
 * function's result: either a v2.0 response object (statusCode, headers, cookies,
 * body, isBase64Encoded) or anything else, which API Gateway sends as the body of a
 * 200 with content-type application/json (a JSON string is sent unquoted). Return
 * memory from flexilib_alloc or static memory; NULL is an unhandled error (500). */
typedef struct flexilib_lambda_context {
  const char *aws_request_id;   /* NUL-terminated UUID, as in the START/REPORT lines */
  const char *function_name;    /* NUL-terminated: the library file name, no "lib"/".so" */
  const char *function_version; /* NUL-terminated: always "$LATEST" */
  uint32_t memory_limit_in_mb;  /* the route's memory_mb setting (default 128) */
  int64_t deadline_ms;          /* wall-clock deadline, milliseconds since the epoch */
  /* Milliseconds left before the timeout (0 when past it), like getRemainingTimeInMillis. */
  int64_t (*get_remaining_time_in_millis)(const struct flexilib_lambda_context *context);
} flexilib_lambda_context;

typedef const char *flexilib_lambda_handler(const char *event_json, size_t event_len,
                                            const flexilib_lambda_context *context,
                                            size_t *response_len);
FLEXILIB_API flexilib_lambda_handler lambda_handler;

/* ---- FlexiLib's Zig allocator (what every Zig library on FlexiLib's interface uses) --
 *
 * Optional. A library that exports zigInit gets it called on the serving thread right
 * before each handle_request (plain and cloudflare: routes), with a pointer to a Zig
 * std.mem.Allocator value over that thread's request arena, as the original FlexiLib
 * did. The library keeps the pointer (thread-local) and allocates its response, body
 * and header array through it; it frees nothing: the server frees it all after the
 * response has been written, and every byte counts in the request's "alloc" figure.
 * The pointer and the value stay valid for the thread's life; the value is refreshed
 * before each call. executors/flexilib.zig is an interface module for Zig handlers and
 * executors/zig_example.zig an example.
 *
 * Supported: libraries built with Zig 0.11, 0.12 and 0.13 (FlexiLib's whole history),
 * whose std.mem.Allocator is the layout below. Zig 0.14 changed it (a fourth vtable
 * entry, remap, and an alignment enum): a 0.14 library would call the wrong functions.
 *
 *   alloc   memory aligned to 1 << log2_align (any alignment up to 2^30; up to 4096
 *           from the arena's buffer, beyond from the heap), or NULL when the heap is
 *           out (the library's OutOfMemory, usually a 500).
 *   resize  true when the block now has new_len bytes where it is: always for a
 *           shrink, for a growth only when the block is the request's newest in the
 *           arena and the arena has room. false: the library allocates, copies, frees.
 *   free    takes back the newest block or a heap block at once; any other block
 *           stays until the response has gone. "alloc" is the most held at once.
 *
 * A Zig slice argument is a pointer then a length; on x86-64 Linux a Zig 0.11 library
 * calls these as plain C functions. */
typedef struct flexilib_zig_allocator_vtable {
  uint8_t *(*alloc)(void *ctx, size_t len, uint8_t log2_align, size_t ret_addr);
  bool (*resize)(void *ctx, uint8_t *buf, size_t buf_len, uint8_t log2_align, size_t new_len,
                 size_t ret_addr);
  void (*free)(void *ctx, uint8_t *buf, size_t buf_len, uint8_t log2_align, size_t ret_addr);
} flexilib_zig_allocator_vtable;

typedef struct flexilib_zig_allocator {
  void *ctx;
  const flexilib_zig_allocator_vtable *vtable;
} flexilib_zig_allocator;

FLEXILIB_API void zigInit(void *zig_allocator); /* a flexilib_zig_allocator * */

#ifdef __cplusplus
}
#endif

#endif /* FLEXILIB_H */
