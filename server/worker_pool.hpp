// The serving threads. SERVER_THREAD_COUNT threads share one epoll set holding the
// listening socket and every idle connection. A thread takes one ready connection
// (EPOLLONESHOT makes it the only owner), serves the requests it has buffered, and
// hands it back to epoll before taking the next. So a keep-alive connection holds a
// thread only while it has a request, and with far more connections than threads
// every client is served in readiness order: cpp-httplib's own pool, by contrast,
// gives each keep-alive connection a thread for its whole life and starves the rest.
// No thread ever waits for a slow client to finish sending a head either: an
// incomplete head is kept with the connection and the thread moves on.
#pragma once

#include "server/connection.hpp"
#include "server/request_pipeline.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace flexilib::server {

class WorkerPool {
public:
  WorkerPool(int listen_fd, RequestPipeline &pipeline, size_t thread_count, size_t arena_bytes,
             size_t max_connections);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  // Stops accepting and asks every thread to finish the request it is serving and
  // exit. Returns at once; idempotent; not for signal handlers.
  void begin_stop();
  // Waits up to `timeout` for every thread to have exited; true when they all have.
  bool wait_stopped(std::chrono::milliseconds timeout);
  // begin_stop(), then waits for the threads without a limit and closes every
  // connection.
  void stop();

  size_t connection_count() const;

private:
  void run(size_t index);
  void accept_connections();
  void serve(Connection &connection, ServingThread &thread);
  void close_connection(Connection &connection);
  void close_idle_connections();
  void arm(int fd, void *tag, uint32_t events, int operation);

  const int listen_fd_;
  RequestPipeline &pipeline_;
  const size_t arena_bytes_;
  const size_t max_connections_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: readable once stop() is called
  int timer_fd_ = -1; // ticks once a second for the idle sweep
  std::atomic<bool> stopping_{false};
  std::mutex exit_mutex_;
  std::condition_variable exited_;
  size_t running_threads_ = 0; // guarded by exit_mutex_
  std::vector<std::thread> threads_;

  mutable std::mutex connections_mutex_; // taken on accept, close and sweep only
  std::unordered_map<Connection *, std::unique_ptr<Connection>> connections_;
};

} // namespace flexilib::server
