// A serving thread's own things: its request arena, its socket buffers, its request
// log lines not yet written, and what the housekeeper may look at from outside: whether a handler
// is running, since when, for which request on which connection.
//
// Who may touch the connection of a running handler: the serving thread owns it, and
// hands it to no one; the housekeeper reaches it only through take_over_if_overdue(),
// which holds the lock that leave_handler() takes. So while the housekeeper answers
// 504 on it, the handler may return but its thread cannot leave the handler window,
// let alone close the connection or serve another request on it; and once the
// thread has left, the housekeeper no longer sees the connection at all.
#pragma once

#include "server/access_log.hpp"
#include "server/arena.hpp"
#include "server/connection_stream.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace flexilib::server {

struct ServingThread {
  ServingThread(unsigned index_, size_t arena_bytes) : index(index_), arena(arena_bytes) {}
  const unsigned index;
  Arena arena;
  StreamBuffers buffers;
  AccessLogBuffer log;

  // Readable once the pool is stopping (an eventfd never read): what a thread that
  // waits in poll() for long (a byte tunnel) watches, to end at shutdown.
  int stopping_fd = -1;

  // Set by take_over_if_overdue() when the handler overran and a new thread took
  // over; read by this thread once it has left the handler window.
  std::atomic<bool> replaced{false};
  // Set by hand_off_if_slower_than() when a handler ran past STAND_IN_AFTER_MS and a
  // stand-in thread started serving in its place: this thread leaves once its
  // handler has returned and its response is written.
  std::atomic<bool> handed_off{false};
  // Whether a thread runs on this slot; a slot whose thread has left is reused for
  // the next thread the pool starts. The pool's lock guards it.
  bool running = false;

  struct HandlerRun {
    std::string_view method, target, route, library;
    uint64_t generation = 0;
  };
  // The handler window: from just before the handler is called to just after it
  // returns. The views in `run` stay valid until leave_handler().
  void enter_handler(Connection &connection, const HandlerRun &run);
  void leave_handler();

  // For the housekeeper: when a handler has run for longer than `limit` at `now`,
  // calls `answer` with its connection and marks this thread replaced, holding the
  // handler window open meanwhile. Returns what was running ("GET /x (route /,
  // library lib.so generation 2)"), or "" when no handler was overdue.
  std::string take_over_if_overdue(Clock::rep now, Clock::rep limit,
                                   const std::function<void(Connection &)> &answer);

  // For the housekeeper: true (once per handler run) when a handler has run for
  // longer than `limit` at `now`; marks this thread handed_off.
  bool hand_off_if_slower_than(Clock::rep now, Clock::rep limit);

private:
  std::string description() const; // run_mutex_ held

  std::mutex run_mutex_; // this thread and the housekeeper only; guards what follows
  HandlerRun run_;
  Connection *connection_ = nullptr; // null: no handler runs
  Clock::rep started_ = 0;
  // started_, readable without the lock: the housekeeper looks every few
  // milliseconds (STAND_IN_AFTER_MS), and a lock it took that often would make
  // the serving thread wait at the handler window's edges.
  std::atomic<Clock::rep> handler_since_{0};
};

} // namespace flexilib::server
