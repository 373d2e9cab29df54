// json_example.cpp: a handler written in C++. It answers with JSON describing the request
// (method, target, headers in order, body size) and when this copy of the library was loaded,
// built with nlohmann/json into memory from flexilib_alloc.
#include "flexilib.h"

#include <chrono>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

FLEXILIB_EXPORT_ABI_VERSION

namespace {

// Keeps keys in insertion order, so the answer reads method, target, headers...
using Json = nlohmann::ordered_json;

// Set once by flexilib_on_load, which the server runs before the first request of this
// copy of the library: afterwards only read, so the serving threads may share it.
std::string loaded_at;

std::string utc_now_iso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[sizeof "2000-01-01T00:00:00Z"];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string to_string(const char *pointer, size_t length) {
  return {pointer, length};
}

Json describe(const flexilib_request &request) {
  Json headers = Json::array();
  for (size_t i = 0; i < request.headers_len; ++i) {
    const flexilib_header &header = request.headers[i];
    headers.push_back({{"name", to_string(header.name_ptr, header.name_len)},
                       {"value", to_string(header.value_ptr, header.value_len)}});
  }
  Json description = {{"method", to_string(request.method, request.method_len)},
                      {"target", to_string(request.target, request.target_len)},
                      {"headers", std::move(headers)},
                      {"body_bytes", request.content_len}};
  // A host that does not run the hook (the original FlexiLib) gets null.
  description["loaded_at"] = loaded_at.empty() ? nullptr : Json(loaded_at);
  return description;
}

// The response and its header; the body follows in the same block of memory.
struct ResponseBlock {
  flexilib_response response;
  flexilib_header content_type;
};

// Memory that stays valid until the response has been written. In flexilib that is
// flexilib_alloc, freed by the server, so no request_deinit is needed. A host without it
// gets this thread's buffer, which the thread's next request reuses.
void *response_memory(size_t size) {
  if (flexilib_alloc) return flexilib_alloc(size);
  thread_local std::vector<std::max_align_t> fallback;
  fallback.resize(size / sizeof(std::max_align_t) + 1);
  return fallback.data();
}

flexilib_response *respond_with(const std::string &body) {
  void *memory = response_memory(sizeof(ResponseBlock) + body.size());
  if (memory == nullptr) return nullptr;
  // The memory is raw bytes: start the block's lifetime (zeroed) before using it.
  ResponseBlock *block = std::construct_at(static_cast<ResponseBlock *>(memory));
  char *body_copy = reinterpret_cast<char *>(block + 1);
  std::memcpy(body_copy, body.data(), body.size());

  static char content_type[] = "Content-Type", json[] = "application/json";
  block->content_type = {content_type, sizeof content_type - 1, json, sizeof json - 1};
  block->response.ptr = body_copy;
  block->response.len = body.size();
  block->response.headers = &block->content_type;
  block->response.headers_len = 1;
  return &block->response;
}

} // namespace

FLEXILIB_API int flexilib_on_load(void) try {
  loaded_at = utc_now_iso8601();
  return 0;
} catch (...) {
  return 1; // refuses the load: the server logs it and keeps the previous copy serving
}

// A C function must never let an exception out (the server cannot catch it), so every
// failure becomes NULL, which the server answers with 500.
FLEXILIB_API flexilib_response *handle_request(flexilib_request *request) try {
  // Headers and targets are bytes, not necessarily UTF-8: replace what JSON cannot hold.
  const std::string body = describe(*request).dump(-1, ' ', false, Json::error_handler_t::replace);
  return respond_with(body);
} catch (...) {
  return nullptr;
}
