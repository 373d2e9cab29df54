// One loaded generation of a handler library: its own immutable image of the file,
// the dlopen handle and the symbols of the C interface in executors/flexilib.h.
// Loading checks everything a request would trip over later, so a Library that
// exists can always serve; its destructor runs the unload hook and closes it.
#pragma once

#include "executors/flexilib.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace flexilib::loader {

class Library;

// Where the loader reports loads, unloads and failures (one line each).
using EventSink = std::function<void(std::string_view line)>;

struct LoadOutcome {
  std::shared_ptr<Library> library; // null when the load failed
  std::string error;                // why, naming the file; empty on success
  // The load failed for want of a resource (descriptors, memory: EMFILE, ENFILE,
  // ENOMEM, EAGAIN, EINTR), not because of the file: worth trying again later.
  bool shortage = false;
};

class Library {
public:
  // Loads `path` as generation `generation`. The file is copied into an anonymous
  // in-memory file first and opened from there, so a build tool overwriting the
  // .so in place can never change code that is running.
  // `events` hears of the unload when the generation is finally closed.
  static LoadOutcome load(const std::string &path, uint64_t generation, EventSink events = {});

  struct Private {}; // only load() constructs a Library
  Library(Private, std::string path, uint64_t generation, EventSink events);
  ~Library();
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;

  flexilib_response *handle_request(flexilib_request *request) const {
    return handle_request_(request);
  }
  // A Lambda-profile library (faas/) exports lambda_handler instead of, or besides,
  // handle_request; a library must export at least one of the two.
  bool has_handle_request() const { return handle_request_ != nullptr; }
  flexilib_lambda_handler *lambda_handler() const { return lambda_handler_; }
  // True for the first caller only: that request is this generation's cold start.
  bool take_cold_start() { return !served_.exchange(true); }
  // Hands a library written on FlexiLib's Zig interface module the Zig allocator
  // (server/zig_allocator) it allocates its response with; call it right before each
  // handle_request. A no-op when the library exports no zigInit.
  void zig_init(void *zig_allocator) const {
    if (zig_init_) zig_init_(zig_allocator);
  }
  // Lets the library free what it returned; a no-op when it exports no request_deinit.
  void request_deinit() const {
    if (request_deinit_) request_deinit_();
  }

  // Marks the moment new requests stopped coming here (a newer generation took
  // over, or no route uses the file any more); the unload log reports the drain time
  // from it. The library closes when the last request holding it lets go.
  void retire();

  const std::string &path() const { return path_; }
  uint64_t generation() const { return generation_; }
  uint32_t abi_version() const { return abi_version_; }
  double load_ms() const { return load_ms_; } // copy + dlopen + symbol look-up
  double init_ms() const { return init_ms_; } // flexilib_on_load, 0 when absent

private:
  struct Handle;

  std::string path_;
  uint64_t generation_;
  EventSink events_;
  std::atomic<int64_t> retired_at_ns_{0};
  std::unique_ptr<Handle> handle_;
  flexilib_response *(*handle_request_)(flexilib_request *) = nullptr;
  flexilib_lambda_handler *lambda_handler_ = nullptr;
  std::atomic<bool> served_{false};
  void (*request_deinit_)() = nullptr;
  void (*zig_init_)(void *) = nullptr;
  void (*on_unload_)() = nullptr;
  uint32_t abi_version_ = 0;
  double load_ms_ = 0;
  double init_ms_ = 0;
};

} // namespace flexilib::loader
