// A serving thread's own things: its request arena, its socket buffers, and what the
// housekeeper may look at from outside: whether a handler is running, since when, for
// which request. The views it holds stay valid until leave_handler(), which clears
// them under the same lock the housekeeper reads them with.
#pragma once

#include "server/arena.hpp"
#include "server/connection_stream.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace flexilib::server {

struct ServingThread {
  ServingThread(unsigned index_, size_t arena_bytes) : index(index_), arena(arena_bytes) {}
  const unsigned index;
  Arena arena;
  StreamBuffers buffers;

  // Set while a handler runs: since when (0: none runs) and for which connection.
  std::atomic<Clock::rep> handler_started{0};
  std::atomic<Connection *> handler_connection{nullptr};
  // Set by the housekeeper when the handler overran and a new thread took over.
  std::atomic<bool> replaced{false};

  struct HandlerRun {
    std::string_view method, target, route, library;
    uint64_t generation = 0;
  };
  void enter_handler(Connection &connection, const HandlerRun &run);
  void leave_handler();
  // "GET /x (route /, library lib.so generation 2)", or "" when no handler runs.
  std::string handler_description() const;

private:
  mutable std::mutex run_mutex_; // this thread and the housekeeper only
  HandlerRun run_;
};

} // namespace flexilib::server
