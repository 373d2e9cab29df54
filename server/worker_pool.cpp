// Serving threads around one epoll set: accept, dispatch, housekeeping, shutdown.
#include "server/worker_pool.hpp"

#include "server/access_log.hpp"
#include "server/socket_links.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::server {

namespace {

// epoll_event.data.u64 is a connection's ticket or one of these markers, which no
// slot number reaches.
constexpr uint64_t listener_marker = ~uint64_t(0), stop_marker = ~uint64_t(1),
                   ready_marker = ~uint64_t(2);

// A connection is added with these once and never re-armed: edge-triggered, so an
// event says something new arrived (or the socket became writable again after a
// send found it full), and a thread busy with it does not stop others getting events.
constexpr uint32_t connection_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
// Ready connections one epoll_wait may return: more than two threads serve at once,
// so that a wake-up is shared by many requests under load.
constexpr int events_per_wait = 64;
constexpr auto housekeeping_interval = std::chrono::milliseconds(250);
// A thread busy this long (a slow handler, a long response) has its request log
// lines written by the housekeeper.
constexpr auto log_lines_wait_at_most = std::chrono::milliseconds(200);

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
    : listen_fd_(listen_fd), reader_(reader), settings_(settings),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      ready_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      stopping_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      connections_(settings.max_connections), ready_(ready_fd_) {
  // The listener stays one-shot: one thread accepts at a time (MAX_CONNECTIONS is
  // checked between accepts), and it is re-armed once per burst of accepts.
  arm(listen_fd_, listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_ADD);
  arm(stop_fd_, stop_marker, EPOLLIN, EPOLL_CTL_ADD);             // level: wakes every thread
  arm(ready_fd_, ready_marker, EPOLLIN | EPOLLET, EPOLL_CTL_ADD); // edge: one per write
  // Upstream connections join this set, their events becoming their clients' turns.
  SocketLinks::shared().attach(epoll_fd_);

  std::lock_guard lock(threads_mutex_);
  for (size_t i = 0; i < settings_.thread_count; ++i)
    start_thread();
  housekeeper_ = std::thread([this] { keep_house(); });
}

WorkerPool::~WorkerPool() {
  stop();
  SocketLinks::shared().attach(-1);
  ::close(ready_fd_);
  ::close(stopping_fd_);
  ::close(stop_fd_);
  ::close(epoll_fd_);
}

void WorkerPool::arm(int fd, uint64_t tag, uint32_t events, int operation) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  ::epoll_ctl(epoll_fd_, operation, fd, &event);
}

// A slot whose thread has left is reused (its arena and buffers with it): stand-ins
// come and go with slow handlers, and each would otherwise add a slot for good.
// threads_mutex_ held.
void WorkerPool::start_thread() {
  auto slot = std::find_if(serving_.begin(), serving_.end(),
                           [](const ServingThread &thread) { return !thread.running; });
  ServingThread *thread = nullptr;
  if (slot != serving_.end()) {
    thread = &*slot;
    threads_[thread->index].join(); // it has left run() already
    thread->replaced = false;
    thread->handed_off = false;
    thread->buffers.begin = thread->buffers.end = 0;
  } else {
    thread = &serving_.emplace_back(unsigned(serving_.size()), settings_.arena_bytes);
    thread->buffers.input.resize(
        std::max(thread->buffers.input.size(), reader_.limits().max_head_bytes));
    threads_.emplace_back();
  }
  thread->stopping_fd = stopping_fd_;
  thread->running = true;
  ++running_threads_;
  threads_[thread->index] = std::thread([this, thread] { run(*thread); });
}

void WorkerPool::begin_stop() {
  if (stopping_.exchange(true)) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr); // new connections stay queued
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  ignored = ::write(stopping_fd_, &one, sizeof one); // ends byte tunnels
  threads_changed_.notify_all();                     // the housekeeper
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
  connections_.clear();
}

size_t WorkerPool::connection_count() const {
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
  epoll_event events[events_per_wait];
  // Stopping, the threads go on until the parked requests are done (their answers are
  // requests in flight, as a handler's would be), serving nothing else.
  while (!thread.replaced && !thread.handed_off && !(stopping_ && parked_count_.load() == 0)) {
    if (Connection *queued = ready_.take_or_sleep()) {
      serve_until_released(*queued, thread);
      continue;
    }
    thread.log.flush(); // no request's line waits while the thread does
    const int ready = ::epoll_wait(epoll_fd_, events, events_per_wait, -1);
    ready_.woke();
    if (ready <= 0) continue;
    if (stopping_) quiet_stop_event();
    take_ready(events, ready, thread);
  }
  thread.log.flush();
  Arena::set_current(nullptr);
  std::lock_guard lock(threads_mutex_);
  --running_threads_;
  if (thread.replaced) --stuck_threads_;
  if (thread.handed_off) --stand_ins_;
  thread.running = false;
  threads_changed_.notify_all();
}

// Takes every connection epoll reported that no other thread owns, serves the first
// and queues the rest for whichever thread is free first (this one included).
void WorkerPool::take_ready(const epoll_event *events, int count, ServingThread &thread) {
  Connection *first = nullptr;
  Connection *rest[events_per_wait]{};
  size_t rest_count = 0;
  for (int i = 0; i < count; ++i) {
    const uint64_t tag = events[i].data.u64;
    if (tag == listener_marker) {
      accept_connections();
      continue;
    }
    if (tag == stop_marker || tag == ready_marker) continue;
    // An upstream socket's event is a turn of the connection whose relay uses it.
    Ticket ticket = tag;
    if (SocketLinks::is_link_tag(tag)) {
      const std::optional<uint64_t> owner =
          SocketLinks::shared().owner_of_event(SocketLinks::link_of_tag(tag));
      if (!owner) continue; // an idle pooled connection: noted for the pool
      ticket = *owner;
    }
    Connection *connection = connections_.claim(ticket);
    if (connection == nullptr) continue; // closed, or its owner will serve it again
    if (first == nullptr) {
      first = connection;
    } else {
      rest[rest_count++] = connection;
    }
  }
  ready_.push(rest, rest_count);
  if (first != nullptr) serve_until_released(*first, thread);
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
    const Connection *added = connections_.add(accepted_connection(fd, peer));
    if (added == nullptr) continue; // full after all: the connection closed with it
    // From here on another thread may take it, serve it and close it: only its ticket,
    // read now, and the descriptor number are used.
    const Ticket ticket = added->ticket;
    arm(fd, ticket, connection_events, EPOLL_CTL_ADD); // reports what already arrived
  }
  arm(listen_fd_, listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
}

// Serves the connection, then lets it go. When an event came meanwhile, or the socket
// may hold more than was read, the thread keeps it: it serves it again at once when no
// other connection waits, and otherwise queues it behind those, so that a busy client
// does not keep a thread to itself.
void WorkerPool::serve_until_released(Connection &connection, ServingThread &thread) {
  for (;;) {
    if (serve(connection, thread) == Turn::closed) return;
    // Kept as it is: shutdown sends what it holds, then closes it. A parked request
    // is still served: its upstream's events must find it unowned.
    if (stopping_ && connection.state() != ConnectionState::relaying) return;
    // A sending or relaying connection reads no requests until its response is out.
    const ConnectionState state = connection.state();
    const bool unread = connection.more_input && state != ConnectionState::sending &&
                        state != ConnectionState::relaying;
    if (!unread && connections_.release(connection)) return;
    // With nothing else waiting it is served again at once, without a hand-over.
    if (ready_.waiting()) return ready_.push(connection);
  }
}

WorkerPool::Turn WorkerPool::serve(Connection &connection, ServingThread &thread) {
  const ConnectionState state = connection.state();
  if (stopping_ && state != ConnectionState::relaying) return Turn::open; // no new requests
  if (state == ConnectionState::lingering) return discard_input(connection);
  if (state == ConnectionState::sending) {
    if (const std::optional<Turn> stopped = send_more(connection)) return *stopped;
  }
  if (state == ConnectionState::relaying) {
    if (const std::optional<Turn> waiting = resume_parked(connection, thread)) return *waiting;
  }
  connection.ending = reader_.serve(connection, thread);
  if (thread.replaced) return close_connection(connection);
  if (connection.parked) return park(connection);
  if (!connection.unsent.empty()) return wait_until_writable(connection, true);
  if (connection.ending != Ending::none || stopping_) return end(connection);
  connection.made_progress();
  return Turn::open;
}

int WorkerPool::parked_limit_ms(const ParkedExchange &parked) const {
  return parked.waiting == ParkedExchange::Progress::waiting_client
             ? reader_.limits().timeouts.write_ms
             : parked.upstream_wait_limit_ms();
}

// A request's target parked it (a proxied request waiting for its upstream): the
// thread lets the connection go, and an event on its socket or the upstream's
// resumes it (resume_parked).
WorkerPool::Turn WorkerPool::park(Connection &connection) {
  connection.parked_limit_ms.store(parked_limit_ms(*connection.parked), std::memory_order_relaxed);
  connection.enter(ConnectionState::relaying);
  ++parked_count_;
  return Turn::open;
}

// A turn of a parked request: it goes on as far as the sockets allow. Nothing when it
// is done and the connection goes on to its next request; else how the turn ends
// (still waiting, or closed). The housekeeper queues a connection whose wait has
// passed its limit (close_overdue_connections), and the request then gives up: 504,
// or a cut connection once bytes went out.
std::optional<WorkerPool::Turn> WorkerPool::resume_parked(Connection &connection,
                                                          ServingThread &thread) {
  ParkedExchange &parked = *connection.parked;
  const Clock::rep now = now_ticks();
  const int limit_ms = connection.parked_limit_ms.load(std::memory_order_relaxed);
  const bool late = now - connection.state_since() > ticks_of(std::chrono::milliseconds(limit_ms));
  parked.waiting = parked.resume(connection, late);
  if (parked.moved()) connection.made_progress(now);
  if (parked.waiting != ParkedExchange::Progress::done) {
    connection.parked_limit_ms.store(parked_limit_ms(parked), std::memory_order_relaxed);
    return Turn::open;
  }
  if (parked.client_stalled())
    report_stalled_reader(connection, reader_.limits().timeouts.write_ms);
  reader_.record_parked(connection, thread);
  const bool close = parked.closes_connection() || connection.close_after_parked;
  unpark(connection);
  connection.enter(ConnectionState::idle);
  if (close || stopping_) return close_connection(connection);
  return std::nullopt; // the requests the client sent meanwhile are read now
}

// The connection was waiting for its client to read: sends what the socket takes.
// Nothing when all is sent and the connection goes on to its next request; else how
// the turn ends (still waiting for the client, or closed).
std::optional<WorkerPool::Turn> WorkerPool::send_more(Connection &connection) {
  const uint64_t sent_before = connection.unsent.sent();
  switch (connection.unsent.send_to(connection.fd)) {
  case SendProgress::failed:
    return close_connection(connection);
  case SendProgress::blocked:
    return wait_until_writable(connection, connection.unsent.sent() != sent_before);
  case SendProgress::done:
    if (connection.ending != Ending::none) return end(connection);
    // A body was still arriving when its "100 Continue" could not go out at once.
    connection.enter(connection.arriving.budget ? ConnectionState::receiving_body
                                                : ConnectionState::idle);
    return std::nullopt;
  }
  return std::nullopt;
}

// The send that filled the socket makes the kernel report it writable again (an
// edge), so the connection simply waits; during shutdown, drain sends what it holds.
WorkerPool::Turn WorkerPool::wait_until_writable(Connection &connection, bool progressed) {
  connection.enter(ConnectionState::sending);
  if (progressed) connection.made_progress();
  return Turn::open;
}

// Closes the connection, or lets it linger (see Connection::Ending).
WorkerPool::Turn WorkerPool::end(Connection &connection) {
  if (connection.ending != Ending::linger || stopping_) return close_connection(connection);
  ::shutdown(connection.fd, SHUT_WR);           // the client sees the response end here
  connection.enter(ConnectionState::lingering); // and READ_TIMEOUT_MS from now it is closed
  return discard_input(connection);
}

// A lingering connection: reads and drops what the client still sends, a bounded
// amount per turn so that a fast sender does not keep the thread (what is left is
// read after the other ready connections), and closes once the client has closed
// its side.
WorkerPool::Turn WorkerPool::discard_input(Connection &connection) {
  char sink[16 * 1024];
  connection.more_input = true;
  for (int turn = 0; turn < 64; ++turn) {
    const ssize_t got = ::recv(connection.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (got > 0 || (got < 0 && errno == EINTR)) continue;
    if (got < 0 && errno == EAGAIN) {
      connection.more_input = false;
      return Turn::open;
    }
    return close_connection(connection); // end of file, or the client reset it
  }
  return Turn::open;
}

// WRITE_TIMEOUT_MS still applies: a client that reads nothing does not hold up the
// exit until SHUTDOWN_TIMEOUT_MS.
bool WorkerPool::send_remaining_output() {
  const Clock::rep now = now_ticks();
  const Clock::rep send_limit =
      ticks_of(std::chrono::milliseconds(reader_.limits().timeouts.write_ms));
  connections_.close_unless([&](Connection &connection) {
    const uint64_t sent_before = connection.unsent.sent();
    const bool keep = connection.state() == ConnectionState::sending &&
                      connection.unsent.send_to(connection.fd) == SendProgress::blocked;
    if (keep && connection.unsent.sent() != sent_before) connection.made_progress(now);
    return keep && now - connection.state_since() <= send_limit;
  });
  return connections_.size() == 0;
}

void WorkerPool::unpark(Connection &connection) {
  connection.parked.reset();
  // The last parked request of a shutdown: the threads may leave (stop_fd wakes them).
  if (--parked_count_ == 0 && stopping_) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  }
}

// Stopping with parked requests, the threads wait for their events: the stop event,
// level-triggered, would wake them again at once, so it is consumed (unpark() writes
// it again once the last parked request is done).
void WorkerPool::quiet_stop_event() {
  if (parked_count_.load() == 0) return;
  uint64_t count = 0;
  [[maybe_unused]] ssize_t ignored = ::read(stop_fd_, &count, sizeof count);
  if (parked_count_.load() == 0) { // done meanwhile: wake the others after all
    const uint64_t one = 1;
    ignored = ::write(stop_fd_, &one, sizeof one);
  }
}

WorkerPool::Turn WorkerPool::close_connection(Connection &connection) {
  if (connection.parked) unpark(connection);
  const size_t remaining = connections_.close(connection); // the socket leaves the epoll set
  if (remaining + 1 == settings_.max_connections && !stopping_)
    arm(listen_fd_, listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
  return Turn::closed;
}

void WorkerPool::keep_house() {
  ::pthread_setname_np(::pthread_self(), "flexilib-house");
  // Slow handlers are looked for twice per STAND_IN_AFTER_MS, so a stand-in starts
  // between 1 and 1.5 times that after the handler did; the rest four times a second.
  const auto stand_in_check = std::max(std::chrono::milliseconds(1),
                                       std::chrono::milliseconds(settings_.stand_in_after_ms / 2));
  const auto wait_at_most = settings_.stand_in_after_ms > 0
                                ? std::min(stand_in_check, housekeeping_interval)
                                : housekeeping_interval;
  std::unique_lock lock(threads_mutex_);
  // Stopping, it goes on while requests are parked: their wait limits still hold.
  const auto done = [this] { return stopping_ && parked_count_.load() == 0; };
  Clock::time_point next_round = Clock::now() + housekeeping_interval;
  while (!done()) {
    threads_changed_.wait_for(lock,
                              std::min<Clock::duration>(wait_at_most, next_round - Clock::now()));
    if (done()) break;
    if (!stopping_) stand_in_for_slow_handlers();
    if (Clock::now() < next_round) continue;
    next_round = Clock::now() + housekeeping_interval;
    lock.unlock();
    close_overdue_connections();
    if (!stopping_) arm(listen_fd_, listener_marker, EPOLLIN | EPOLLONESHOT, EPOLL_CTL_MOD);
    lock.lock();
    flush_request_logs();
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
  connections_.for_each_unowned([&](Connection &connection) {
    if (connection.state() == ConnectionState::relaying) {
      // A parked request past its wait's limit: a thread resumes it, and it gives up.
      const int limit_ms = connection.parked_limit_ms.load(std::memory_order_relaxed);
      if (now - connection.state_since() <= ticks_of(std::chrono::milliseconds(limit_ms))) return;
      if (Connection *claimed = connections_.claim(connection.ticket)) ready_.push(*claimed);
      return;
    }
    const Overdue due = overdue(connection.state(), connection.state_since(), now, deadlines);
    if (!due.due) return;
    if (!due.why.empty())
      write_diagnostic(connection.peer + ": " + due.why + ": connection closed");
    ::shutdown(connection.fd, SHUT_RDWR);
    connection.postpone_deadline(now); // said once, not at every sweep
  });
}

// The lines of a thread busy for a while (a slow handler, a long response) are not
// held until it is done. threads_mutex_ held.
void WorkerPool::flush_request_logs() {
  const Clock::rep now = now_ticks();
  for (ServingThread &thread : serving_)
    thread.log.flush_if_older(now, ticks_of(log_lines_wait_at_most));
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
                     (thread.handed_off ? "a stand-in has its place"
                      : stuck_threads_ <= max_stuck_threads()
                          ? "a new thread takes its place"
                          : "too many stuck threads: not replaced") +
                     " (" + std::to_string(stuck_threads_) + " stuck now)");
    if (!stopping_ && !thread.handed_off && stuck_threads_ <= max_stuck_threads()) start_thread();
  }
}

// A handler past STAND_IN_AFTER_MS holds its thread, and the other connections would
// have one thread fewer until it returns: a stand-in serves in its place, and the
// slow thread leaves once its response is out. Nothing is said in the log: a slow
// handler is not an error, and this may happen many times a second.
// threads_mutex_ held.
void WorkerPool::stand_in_for_slow_handlers() {
  if (settings_.stand_in_after_ms <= 0 || stopping_) return;
  const Clock::rep limit = ticks_of(std::chrono::milliseconds(settings_.stand_in_after_ms));
  const Clock::rep now = now_ticks();
  for (ServingThread &thread : serving_) {
    if (stand_ins_ >= settings_.thread_count) return;
    if (!thread.running || !thread.hand_off_if_slower_than(now, limit)) continue;
    ++stand_ins_;
    start_thread(); // a list: adding or reusing a slot leaves this loop's place valid
  }
}

} // namespace flexilib::server
