// The serving threads. SERVER_THREAD_COUNT threads share one epoll set holding the
// listening socket and every idle connection. A thread takes one ready connection
// (EPOLLONESHOT makes it the only owner), serves the requests it has buffered, and
// hands it back to epoll before taking the next. So a keep-alive connection holds a
// thread only while it has a request, and with far more connections than threads
// every client is served in readiness order: cpp-httplib's own pool, by contrast,
// gives each keep-alive connection a thread for its whole life and starves the rest.
// No thread ever waits for a slow client either: an incomplete head or body is kept
// with the connection, and so is a response the client is slow to read (the
// connection then waits in epoll to become writable), and the thread moves on.
//
// One more thread keeps house four times a second: it closes idle connections, heads
// and bodies that stopped arriving and responses nobody reads, and it answers 504 for a handler
// that has run longer than HANDLER_TIMEOUT_MS, starting a new serving thread in place of the stuck
// one (a thread cannot be killed; it leaves when, if ever, the handler returns).
#pragma once

#include "server/connection.hpp"
#include "server/request_reader.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace flexilib::server {

// Filled from Settings (server/settings.hpp), whose table holds the defaults.
struct PoolSettings {
  size_t thread_count = 0;
  size_t arena_bytes = 0;
  size_t max_connections = 0;
  int handler_timeout_ms = 0;
};

class WorkerPool {
public:
  WorkerPool(int listen_fd, RequestReader &reader, PoolSettings settings);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  // Stops accepting and asks every thread to finish the request it is serving and
  // exit. Returns at once; idempotent; not for signal handlers.
  void begin_stop();
  // Waits up to `timeout` for every serving thread to have exited; true when all have.
  bool wait_stopped(std::chrono::milliseconds timeout);
  // begin_stop(), then waits for the threads without a limit and closes every
  // connection.
  void stop();
  // After the threads have stopped: sends what the socket takes now of every response
  // still waiting for a slow client, closing each connection that is done. True when
  // none is left.
  bool send_remaining_output();

  size_t connection_count() const;
  // Serving threads stuck in a handler past HANDLER_TIMEOUT_MS (each replaced).
  size_t stuck_thread_count() const;

private:
  void start_thread();
  void run(ServingThread &thread);
  void accept_connections();
  void serve(Connection &connection, ServingThread &thread);
  bool send_more(Connection &connection);
  void wait_until_writable(Connection &connection, bool progressed);
  void end(Connection &connection);
  void discard_input(Connection &connection);
  void hand_back(Connection &connection, uint32_t events);
  void close_connection(Connection &connection);
  void keep_house();
  void close_overdue_connections();
  void replace_stuck_threads();
  size_t max_stuck_threads() const;
  void arm(int fd, void *tag, uint32_t events, int operation);

  const int listen_fd_;
  RequestReader &reader_;
  const PoolSettings settings_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1; // eventfd: readable once stopping
  std::atomic<bool> stopping_{false};

  mutable std::mutex threads_mutex_; // guards everything down to housekeeper_
  std::condition_variable threads_changed_;
  std::list<ServingThread> serving_; // stable addresses: threads refer to theirs
  std::vector<std::thread> threads_;
  size_t running_threads_ = 0;
  size_t stuck_threads_ = 0;
  std::thread housekeeper_;

  // When the lines about a full connection table and a failing accept were last said.
  std::atomic<Clock::rep> said_connections_full_{0}, said_accept_failed_{0};

  mutable std::mutex connections_mutex_; // taken on accept, close and sweep only
  std::unordered_map<Connection *, std::unique_ptr<Connection>> connections_;
};

} // namespace flexilib::server
