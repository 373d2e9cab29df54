// For the exception-boundary tests: a C++ library whose entry points throw.
//   handle_request   throws std::runtime_error("db password is hunter2") for x-mode: throw,
//                    an int (no what()) for x-mode: throw-int, and makes request_deinit
//                    throw for x-mode: throw-in-deinit; otherwise answers "ok"
//   lambda_handler   always throws std::runtime_error("lambda secret is swordfish")
// Built four times: as it is, with THROW_ON_LOAD (flexilib_on_load throws), with
// THROW_ON_UNLOAD (flexilib_on_unload throws) and with THROW_IN_ZIG_INIT (zigInit,
// called before each handle_request, throws).
#include "flexilib.h"

#include <cstring>
#include <stdexcept>
#include <string_view>

FLEXILIB_EXPORT_ABI_VERSION

namespace {

thread_local bool deinit_throws = false;
char ok[] = "ok";

std::string_view mode_of(const flexilib_request *request) {
  for (size_t i = 0; i < request->headers_len; ++i) {
    const flexilib_header &header = request->headers[i];
    if (std::string_view(header.name_ptr, header.name_len) == "x-mode")
      return {header.value_ptr, header.value_len};
  }
  return {};
}

} // namespace

FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) {
  const std::string_view mode = mode_of(request);
  if (mode == "throw") throw std::runtime_error("db password is hunter2");
  if (mode == "throw-int") throw 42;
  deinit_throws = mode == "throw-in-deinit";
  static thread_local flexilib_response response;
  response = flexilib_response{};
  response.status = 200;
  response.ptr = ok;
  response.len = 2;
  return &response;
}

FLEXILIB_API void request_deinit() {
  if (deinit_throws) {
    deinit_throws = false;
    throw std::runtime_error("deinit secret");
  }
}

FLEXILIB_API const char *lambda_handler(const char *, size_t, const flexilib_lambda_context *,
                                        size_t *) {
  throw std::runtime_error("lambda secret is swordfish");
}

#ifdef THROW_ON_LOAD
FLEXILIB_API int flexilib_on_load() {
  throw std::runtime_error("on_load secret");
}
#endif

#ifdef THROW_IN_ZIG_INIT
FLEXILIB_API void zigInit(void *) {
  throw std::runtime_error("zig allocator secret");
}
#endif

#ifdef THROW_ON_UNLOAD
FLEXILIB_API void flexilib_on_unload() {
  throw std::runtime_error("on_unload secret");
}
#endif
