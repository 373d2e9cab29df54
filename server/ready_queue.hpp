// Connections that are ready but wait for a free serving thread. One epoll_wait gives
// a thread several ready connections; it serves one and queues the rest here, for
// itself or any other thread to take before going back to epoll_wait, so that a slow
// handler on one thread never holds up connections another thread is free to serve.
// A thread asleep in epoll_wait is woken (an eventfd in the epoll set) only when
// connections wait here and more threads sleep than have been woken already.
#pragma once

#include "server/connection.hpp"

#include <cstddef>
#include <mutex>
#include <vector>

namespace flexilib::server {

class ReadyQueue {
public:
  // `wake_fd`: an eventfd in the threads' epoll set, edge-triggered, so that one write
  // wakes one sleeping thread and nothing need read it.
  explicit ReadyQueue(int wake_fd) : wake_fd_(wake_fd) {}
  ReadyQueue(const ReadyQueue &) = delete;
  ReadyQueue &operator=(const ReadyQueue &) = delete;

  // Queues connections the caller owns; ownership passes to whoever takes them.
  void push(const Connection *const *connections, size_t count);
  void push(Connection &connection) {
    Connection *one = &connection;
    push(&one, 1);
  }
  // The connection waiting longest, now the caller's; or null, and then the caller is
  // counted as asleep until it calls woke() (after its epoll_wait).
  Connection *take_or_sleep();
  void woke();
  // Whether any connection waits here now.
  bool waiting() const;

private:
  void wake_one_if_needed(); // mutex_ held

  const int wake_fd_;
  mutable std::mutex mutex_;
  // A ring that grows (to at most the number of connections) and never shrinks, so
  // that queueing allocates nothing once it has room.
  std::vector<Connection *> ring_;
  size_t first_ = 0, count_ = 0;
  size_t sleepers_ = 0; // threads in (or about to enter) epoll_wait
  size_t woken_ = 0;    // wakes written and not yet matched by a thread waking
};

} // namespace flexilib::server
