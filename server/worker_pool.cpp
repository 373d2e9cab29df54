// Serving threads around one epoll set: accept, dispatch, housekeeping, shutdown.
#include "server/worker_pool.hpp"

#include "server/access_log.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::server {

namespace {

// epoll_event.data.ptr is either a Connection or one of these markers.
char listener_marker, wake_marker;

constexpr uint32_t connection_events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
// Not EPOLLRDHUP: a client that has finished sending may still be reading.
constexpr uint32_t writable_events = EPOLLOUT | EPOLLONESHOT;
constexpr auto housekeeping_interval = std::chrono::milliseconds(250);

// For a line about a condition that lasts: true at most once a second per `said_at`.
bool once_a_second(std::atomic<Clock::rep> &said_at) {
  const Clock::rep now = now_ticks();
  Clock::rep last = said_at.load(std::memory_order_relaxed);
  if (last != 0 && now - last < ticks_of(std::chrono::seconds(1))) return false;
  return said_at.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

void address_of(const sockaddr_storage &address, std::string &ip, int &port) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    const auto &v4 = reinterpret_cast<const sockaddr_in &>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto &v6 = reinterpret_cast<const sockaddr_in6 &>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  ip = text;
}

std::unique_ptr<Connection> accepted_connection(int fd, const sockaddr_storage &peer) {
  // Responses are written whole, so Nagle's delay would only add latency.
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length);
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  address_of(peer, peer_ip, peer_port);
  address_of(local, local_ip, local_port);
  auto connection = std::make_unique<Connection>(fd, peer_ip, peer_port, local_ip, local_port);
  connection->made_progress(); // an idle connection: the keep-alive clock starts
  return connection;
}

} // namespace

WorkerPool::WorkerPool(int listen_fd, RequestReader &reader, PoolSettings settings)
    : listen_fd_(listen_fd), reader_(reader), settings_(settings) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_ADD);
  arm(wake_fd_, &wake_marker, EPOLLIN, EPOLL_CTL_ADD); // level: wakes every thread

  std::lock_guard lock(threads_mutex_);
  for (size_t i = 0; i < settings_.thread_count; ++i)
    start_thread();
  housekeeper_ = std::thread([this] { keep_house(); });
}

WorkerPool::~WorkerPool() {
  stop();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void WorkerPool::arm(int fd, void *tag, uint32_t events, int operation) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = tag;
  ::epoll_ctl(epoll_fd_, operation, fd, &event);
}

// threads_mutex_ held.
void WorkerPool::start_thread() {
  ServingThread &thread = serving_.emplace_back(unsigned(serving_.size()), settings_.arena_bytes);
  thread.buffers.input.resize(
      std::max(thread.buffers.input.size(), reader_.limits().max_head_bytes));
  ++running_threads_;
  threads_.emplace_back([this, &thread] { run(thread); });
}

void WorkerPool::begin_stop() {
  if (stopping_.exchange(true)) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr); // new connections stay queued
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  threads_changed_.notify_all(); // the housekeeper
}

bool WorkerPool::wait_stopped(std::chrono::milliseconds timeout) {
  std::unique_lock lock(threads_mutex_);
  return threads_changed_.wait_for(lock, timeout, [this] { return running_threads_ == 0; });
}

void WorkerPool::stop() {
  begin_stop();
  if (housekeeper_.joinable()) housekeeper_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(threads_mutex_);
    threads.swap(threads_);
  }
  for (std::thread &thread : threads)
    if (thread.joinable()) thread.join();
  std::lock_guard lock(connections_mutex_);
  connections_.clear();
}

size_t WorkerPool::connection_count() const {
  std::lock_guard lock(connections_mutex_);
  return connections_.size();
}

size_t WorkerPool::stuck_thread_count() const {
  std::lock_guard lock(threads_mutex_);
  return stuck_threads_;
}

void WorkerPool::run(ServingThread &thread) {
  const std::string name = "flexilib-w" + std::to_string(thread.index);
  ::pthread_setname_np(::pthread_self(), name.c_str());
  Arena::set_current(&thread.arena);

  // A thread that was replaced while stuck leaves once its handler has returned.
  while (!stopping_ && !thread.replaced) {
    epoll_event event{};
    const int ready = ::epoll_wait(epoll_fd_, &event, 1, -1);
    if (ready <= 0 || stopping_) continue;
    if (event.data.ptr == &wake_marker) continue;
    if (event.data.ptr == &listener_marker) {
      accept_connections();
    } else {
      serve(*static_cast<Connection *>(event.data.ptr), thread);
    }
  }
  Arena::set_current(nullptr);
  std::lock_guard lock(threads_mutex_);
  --running_threads_;
  if (thread.replaced) --stuck_threads_;
  threads_changed_.notify_all();
}

void WorkerPool::accept_connections() {
  for (;;) {
    if (connection_count() >= settings_.max_connections) {
      // New connections wait in the backlog; closing one re-arms the listener.
      if (once_a_second(said_connections_full_))
        write_diagnostic("MAX_CONNECTIONS (" + std::to_string(settings_.max_connections) +
                         ") open: not accepting until one closes");
      return;
    }
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr *>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) {
        // Out of descriptors (EMFILE, ENFILE) or memory: the connection stays in the
        // backlog, and the housekeeper re-arms the listener a pause later.
        if (once_a_second(said_accept_failed_))
          write_diagnostic(std::string("accept: ") + std::strerror(errno) +
                           ": trying again shortly");
        return;
      }
      break;
    }
    std::unique_ptr<Connection> connection = accepted_connection(fd, peer);
    connection->busy.store(false, std::memory_order_release); // see serve()
    Connection *raw = connection.get();
    {
      std::lock_guard lock(connections_mutex_);
      connections_.emplace(raw, std::move(connection));
    }
    arm(fd, raw, connection_events, EPOLL_CTL_ADD);
  }
  arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
}

void WorkerPool::serve(Connection &connection, ServingThread &thread) {
  // The connection passes from thread to thread through epoll, which orders the
  // handover but is invisible to ThreadSanitizer; this acquire pairs with the release
  // in hand_back() (and the one at accept) and states that order in the memory model too.
  connection.busy.exchange(true, std::memory_order_acq_rel);
  const ConnectionState state = connection.state();
  if (state == ConnectionState::lingering) return discard_input(connection);
  if (state == ConnectionState::sending && !send_more(connection)) return;
  connection.ending = reader_.serve(connection, thread);
  if (thread.replaced) return close_connection(connection);
  if (!connection.unsent.empty()) return wait_until_writable(connection, true);
  if (connection.ending != Ending::none || stopping_) return end(connection);
  connection.made_progress();
  hand_back(connection, connection_events);
}

// The connection was waiting for its client to read: sends what the socket takes.
// True when all is sent and the connection should go on to its next request.
bool WorkerPool::send_more(Connection &connection) {
  const uint64_t sent_before = connection.unsent.sent();
  switch (connection.unsent.send_to(connection.fd)) {
  case SendProgress::failed:
    close_connection(connection);
    return false;
  case SendProgress::blocked:
    wait_until_writable(connection, connection.unsent.sent() != sent_before);
    return false;
  case SendProgress::done:
    if (connection.ending != Ending::none) {
      end(connection);
      return false;
    }
    // A body was still arriving when its "100 Continue" could not go out at once.
    connection.enter(connection.arriving.budget ? ConnectionState::receiving_body
                                                : ConnectionState::idle);
    return true;
  }
  return false;
}

// During shutdown the connection is left as it is: drain sends what it holds.
void WorkerPool::wait_until_writable(Connection &connection, bool progressed) {
  connection.enter(ConnectionState::sending);
  if (progressed) connection.made_progress();
  if (stopping_) return;
  hand_back(connection, writable_events);
}

// Closes the connection, or lets it linger (see Connection::Ending).
void WorkerPool::end(Connection &connection) {
  if (connection.ending != Ending::linger || stopping_) return close_connection(connection);
  ::shutdown(connection.fd, SHUT_WR);           // the client sees the response end here
  connection.enter(ConnectionState::lingering); // and READ_TIMEOUT_MS from now it is closed
  discard_input(connection);
}

// A lingering connection: reads and drops what the client still sends, a bounded
// amount per turn so that a fast sender does not keep the thread, and closes once the
// client has closed its side.
void WorkerPool::discard_input(Connection &connection) {
  char sink[16 * 1024];
  for (int turn = 0; turn < 64; ++turn) {
    const ssize_t got = ::recv(connection.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (got > 0 || (got < 0 && errno == EINTR)) continue;
    if (got < 0 && errno == EAGAIN) break;
    return close_connection(connection); // end of file, or the client reset it
  }
  hand_back(connection, connection_events);
}

void WorkerPool::hand_back(Connection &connection, uint32_t events) {
  // After the release store the connection may already be another thread's: nothing
  // of it is touched past that point, not even its fd.
  const int fd = connection.fd;
  connection.busy.store(false, std::memory_order_release);
  arm(fd, &connection, events, EPOLL_CTL_MOD);
}

// WRITE_TIMEOUT_MS still applies: a client that reads nothing does not hold up the
// exit until SHUTDOWN_TIMEOUT_MS.
bool WorkerPool::send_remaining_output() {
  const Clock::rep now = now_ticks();
  const Clock::rep send_limit =
      ticks_of(std::chrono::milliseconds(reader_.limits().timeouts.write_ms));
  std::lock_guard lock(connections_mutex_);
  for (auto entry = connections_.begin(); entry != connections_.end();) {
    Connection &connection = *entry->second;
    const uint64_t sent_before = connection.unsent.sent();
    const bool keep = connection.state() == ConnectionState::sending &&
                      connection.unsent.send_to(connection.fd) == SendProgress::blocked;
    if (keep && connection.unsent.sent() != sent_before) connection.made_progress(now);
    if (keep && now - connection.state_since() <= send_limit) {
      ++entry;
    } else {
      entry = connections_.erase(entry);
    }
  }
  return connections_.empty();
}

void WorkerPool::close_connection(Connection &connection) {
  size_t remaining;
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(&connection); // closes the socket, which leaves the epoll set
    remaining = connections_.size();
  }
  if (remaining + 1 == settings_.max_connections && !stopping_)
    arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
}

void WorkerPool::keep_house() {
  ::pthread_setname_np(::pthread_self(), "flexilib-house");
  std::unique_lock lock(threads_mutex_);
  while (!stopping_) {
    threads_changed_.wait_for(lock, housekeeping_interval);
    if (stopping_) break;
    lock.unlock();
    close_overdue_connections();
    if (!stopping_) arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
    lock.lock();
    replace_stuck_threads();
  }
}

// Closing a connection from here would race with a thread taking it, so the sweep
// only shuts the socket down: epoll then reports it, and the thread that takes it
// reads end-of-file (or fails to write) and closes it like any other.
void WorkerPool::close_overdue_connections() {
  const PipelineLimits &limits = reader_.limits();
  const StateDeadlines deadlines{limits.timeouts.read_ms, limits.timeouts.write_ms,
                                 limits.keep_alive_seconds};
  const Clock::rep now = now_ticks();
  std::lock_guard lock(connections_mutex_);
  for (auto &[raw, connection] : connections_) {
    if (connection->busy) continue;
    const Overdue due = overdue(connection->state(), connection->state_since(), now, deadlines);
    if (!due.due) continue;
    if (!due.why.empty())
      write_diagnostic(connection->peer + ": " + due.why + ": connection closed");
    ::shutdown(connection->fd, SHUT_RDWR);
    connection->postpone_deadline(now); // said once, not at every sweep
  }
}

namespace {
void answer_gateway_timeout(Connection &connection) {
  static constexpr std::string_view gateway_timeout =
      "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain\r\nContent-Length: 47\r\n"
      "Connection: close\r\n\r\n504 Gateway Timeout: the handler did not answer";
  [[maybe_unused]] ssize_t sent = ::send(connection.fd, gateway_timeout.data(),
                                         gateway_timeout.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(connection.fd, SHUT_RDWR);
}
} // namespace

// Stuck threads hold memory (and whatever the handler holds): past this many, the
// pool stops replacing them and runs short-handed.
size_t WorkerPool::max_stuck_threads() const {
  return settings_.thread_count * 4;
}

// A handler past its deadline: its client gets 504 now (written from here, while the
// stuck thread cannot leave the handler window: see ServingThread), the socket is shut
// down so that whatever the handler produces later goes nowhere, and a new thread
// takes the stuck one's place. threads_mutex_ held.
void WorkerPool::replace_stuck_threads() {
  const Clock::rep deadline = ticks_of(std::chrono::milliseconds(settings_.handler_timeout_ms));
  const Clock::rep now = now_ticks();
  for (ServingThread &thread : serving_) {
    const std::string running =
        thread.take_over_if_overdue(now, deadline, answer_gateway_timeout); // may have returned
    if (running.empty()) continue;
    ++stuck_threads_;
    write_diagnostic("serving thread " + std::to_string(thread.index) + " has been in a handler " +
                     "for over " + std::to_string(settings_.handler_timeout_ms) +
                     " ms (HANDLER_TIMEOUT_MS): " + running + " answered 504; " +
                     (stuck_threads_ <= max_stuck_threads()
                          ? "a new thread takes its place"
                          : "too many stuck threads: not replaced") +
                     " (" + std::to_string(stuck_threads_) + " stuck now)");
    if (!stopping_ && stuck_threads_ <= max_stuck_threads()) start_thread();
  }
}

} // namespace flexilib::server
