// Serving threads around one epoll set: accept, dispatch, idle sweep, shutdown.
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
#include <sys/timerfd.h>
#include <unistd.h>

namespace flexilib::server {

namespace {

// epoll_event.data.ptr is either a Connection or one of these markers.
char listener_marker, wake_marker, timer_marker;

constexpr uint32_t connection_events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

Clock::rep now_ticks() {
  return Clock::now().time_since_epoch().count();
}

Clock::rep seconds_in_ticks(int seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(seconds)).count();
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

} // namespace

WorkerPool::WorkerPool(int listen_fd, RequestPipeline &pipeline, size_t thread_count,
                       size_t arena_bytes, size_t max_connections)
    : listen_fd_(listen_fd), pipeline_(pipeline), arena_bytes_(arena_bytes),
      max_connections_(max_connections) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  const itimerspec every_second{{1, 0}, {1, 0}};
  ::timerfd_settime(timer_fd_, 0, &every_second, nullptr);

  arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_ADD);
  arm(timer_fd_, &timer_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_ADD);
  arm(wake_fd_, &wake_marker, EPOLLIN, EPOLL_CTL_ADD); // level: wakes every thread

  running_threads_ = thread_count;
  for (size_t i = 0; i < thread_count; ++i)
    threads_.emplace_back([this, i] { run(i); });
}

WorkerPool::~WorkerPool() {
  stop();
  ::close(timer_fd_);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void WorkerPool::arm(int fd, void *tag, uint32_t events, int operation) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = tag;
  ::epoll_ctl(epoll_fd_, operation, fd, &event);
}

void WorkerPool::begin_stop() {
  if (stopping_.exchange(true)) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr); // new connections stay queued
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
}

bool WorkerPool::wait_stopped(std::chrono::milliseconds timeout) {
  std::unique_lock lock(exit_mutex_);
  return exited_.wait_for(lock, timeout, [this] { return running_threads_ == 0; });
}

void WorkerPool::stop() {
  begin_stop();
  for (std::thread &thread : threads_)
    if (thread.joinable()) thread.join();
  std::lock_guard lock(connections_mutex_);
  connections_.clear();
}

size_t WorkerPool::connection_count() const {
  std::lock_guard lock(connections_mutex_);
  return connections_.size();
}

void WorkerPool::run(size_t index) {
  const std::string name = "flexilib-w" + std::to_string(index);
  ::pthread_setname_np(::pthread_self(), name.c_str());
  ServingThread thread(unsigned(index), arena_bytes_);
  thread.buffers.input.resize(
      std::max(thread.buffers.input.size(), pipeline_.limits().max_head_bytes));
  Arena::set_current(&thread.arena);

  while (!stopping_) {
    epoll_event event{};
    const int ready = ::epoll_wait(epoll_fd_, &event, 1, -1);
    if (ready <= 0 || stopping_) continue;
    if (event.data.ptr == &wake_marker) continue;
    if (event.data.ptr == &listener_marker) {
      accept_connections();
    } else if (event.data.ptr == &timer_marker) {
      close_idle_connections();
    } else {
      serve(*static_cast<Connection *>(event.data.ptr), thread);
    }
  }
  Arena::set_current(nullptr);
  std::lock_guard lock(exit_mutex_);
  if (--running_threads_ == 0) exited_.notify_all();
}

void WorkerPool::accept_connections() {
  for (;;) {
    if (connection_count() >= max_connections_) {
      // New connections wait in the backlog; closing one re-arms the listener.
      write_diagnostic("MAX_CONNECTIONS (" + std::to_string(max_connections_) +
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
        // Out of descriptors: try again on the next sweep rather than spin.
        write_diagnostic(std::string("accept: ") + std::strerror(errno));
        return;
      }
      break;
    }
    // Responses are written whole, so Nagle's delay would only add latency.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_storage local{};
    length = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length);
    std::string peer_ip, local_ip;
    int peer_port = 0, local_port = 0;
    address_of(peer, peer_ip, peer_port);
    address_of(local, local_ip, local_port);

    auto connection = std::make_unique<Connection>(fd, peer_ip, peer_port, local_ip, local_port);
    connection->last_active = now_ticks();
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
  connection.busy = true;
  const RequestPipeline::Next next = pipeline_.serve(connection, thread);
  if (next == RequestPipeline::Next::close || stopping_) return close_connection(connection);
  connection.last_active = now_ticks();
  connection.busy = false;
  arm(connection.fd, &connection, connection_events, EPOLL_CTL_MOD);
}

void WorkerPool::close_connection(Connection &connection) {
  size_t remaining;
  {
    std::lock_guard lock(connections_mutex_);
    connections_.erase(&connection); // closes the socket, which leaves the epoll set
    remaining = connections_.size();
  }
  if (remaining + 1 == max_connections_ && !stopping_)
    arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
}

// Closing an idle connection from here would race with a thread taking it, so the
// sweep only shuts the socket down: epoll then reports it, and the thread that takes
// it reads end-of-file and closes it like any other.
void WorkerPool::close_idle_connections() {
  uint64_t ticks = 0;
  [[maybe_unused]] ssize_t ignored = ::read(timer_fd_, &ticks, sizeof ticks);
  const Clock::rep now = now_ticks();
  const Clock::rep idle_limit = seconds_in_ticks(pipeline_.limits().keep_alive_seconds);
  const Clock::rep head_limit = std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::milliseconds(pipeline_.limits().timeouts.read_ms))
                                    .count();
  {
    std::lock_guard lock(connections_mutex_);
    for (auto &[raw, connection] : connections_) {
      if (connection->busy) continue;
      const Clock::rep head_started = connection->head_started;
      const bool head_too_slow = head_started != 0 && now - head_started > head_limit;
      const bool idle_too_long = head_started == 0 && now - connection->last_active > idle_limit;
      if (head_too_slow || idle_too_long) ::shutdown(connection->fd, SHUT_RDWR);
    }
  }
  arm(timer_fd_, &timer_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
  arm(listen_fd_, &listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
}

} // namespace flexilib::server
