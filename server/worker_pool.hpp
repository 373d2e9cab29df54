// The serving threads. SERVER_THREAD_COUNT threads share one edge-triggered epoll set
// holding the listening socket and every connection, each added once and never
// re-armed. One epoll_wait gives a thread several ready connections: it takes each
// (ConnectionSlots: one owner at a time, an event for an owned one noted for its
// owner), serves one and queues the rest (ReadyQueue), where it or any other thread
// takes them before waiting again, a sleeping thread being woken for them. So a
// keep-alive connection holds a thread only while it has a request, every client is
// served in readiness order, and a slow handler holds up only its own connection:
// cpp-httplib's own pool, by contrast, gives each keep-alive connection a thread for
// its whole life and starves the rest. No thread ever waits for a slow client either:
// an incomplete head or body is kept with the connection, and so is a response the
// client is slow to read (the connection then waits for epoll to say it is
// writable), and the thread moves on. README "How it works" weighs this design
// against per-thread loops, with measurements.
//
// One more thread keeps house four times a second: it closes idle connections, heads
// and bodies that stopped arriving and responses nobody reads, and it answers 504 for a handler
// that has run longer than HANDLER_TIMEOUT_MS, starting a new serving thread in place of the stuck
// one (a thread cannot be killed; it leaves when, if ever, the handler returns). It
// also writes out the request log lines of a thread that has been busy for a while.
// Between those rounds it looks, every STAND_IN_AFTER_MS / 2, for a handler that has
// run longer than STAND_IN_AFTER_MS, and starts a stand-in serving thread for it (as
// Go's runtime hands a blocked goroutine's processor to another thread), so that
// SERVER_THREAD_COUNT threads stay free to serve; the slow thread leaves once its
// response is written. At most SERVER_THREAD_COUNT stand-ins run at once.
#pragma once

#include "server/connection.hpp"
#include "server/connection_slots.hpp"
#include "server/ready_queue.hpp"
#include "server/request_reader.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/epoll.h>
#include <thread>
#include <vector>

namespace flexilib::server {

// Filled from Settings (server/settings.hpp), whose table holds the defaults.
struct PoolSettings {
  size_t thread_count = 0;
  size_t arena_bytes = 0;
  size_t max_connections = 0;
  int handler_timeout_ms = 0;
  int stand_in_after_ms = 0; // 0: no stand-in threads
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
  // What a turn leaves of a connection: still open (the serving thread owns it until
  // it hands it on), or closed and gone.
  enum class Turn { open, closed };

  void start_thread();
  void run(ServingThread &thread);
  void take_ready(const epoll_event *events, int count, ServingThread &thread);
  void accept_connections();
  void serve_until_released(Connection &connection, ServingThread &thread);
  Turn serve(Connection &connection, ServingThread &thread);
  std::optional<Turn> resume_parked(Connection &connection, ServingThread &thread);
  Turn park(Connection &connection);
  void unpark(Connection &connection);
  void quiet_stop_event();
  int parked_limit_ms(const ParkedExchange &parked) const;
  std::optional<Turn> send_more(Connection &connection);
  Turn wait_until_writable(Connection &connection, bool progressed);
  Turn end(Connection &connection);
  Turn discard_input(Connection &connection);
  Turn close_connection(Connection &connection);
  void keep_house();
  void close_overdue_connections();
  void flush_request_logs();
  void replace_stuck_threads();
  void stand_in_for_slow_handlers();
  size_t max_stuck_threads() const;
  void arm(int fd, uint64_t tag, uint32_t events, int operation);

  const int listen_fd_;
  RequestReader &reader_;
  const PoolSettings settings_;
  const int epoll_fd_;
  const int stop_fd_;     // eventfd, level-triggered: readable once stopping, wakes every thread
  const int ready_fd_;    // eventfd, edge-triggered: wakes one thread for the ready queue
  const int stopping_fd_; // eventfd outside the epoll set, never read: readable once stopping
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> parked_count_{0}; // connections in ConnectionState::relaying
  ConnectionSlots connections_;
  ReadyQueue ready_;

  mutable std::mutex threads_mutex_; // guards everything down to housekeeper_
  std::condition_variable threads_changed_;
  std::list<ServingThread> serving_; // stable addresses: threads refer to theirs
  std::vector<std::thread> threads_;
  size_t running_threads_ = 0;
  size_t stuck_threads_ = 0;
  size_t stand_ins_ = 0; // threads handed off, not yet gone
  std::thread housekeeper_;

  // When the lines about a full connection table and a failing accept were last said.
  std::atomic<Clock::rep> said_connections_full_{0}, said_accept_failed_{0};
};

} // namespace flexilib::server
