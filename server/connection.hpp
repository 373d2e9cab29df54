// One client connection: its socket, its addresses, its state (connection_state)
// and what it holds between the turns serving threads give it. Connections are owned
// by the worker pool; socket reads and writes go through ConnectionStream.
#pragma once

#include "server/arriving_request.hpp"
#include "server/connection_state.hpp"
#include "server/parked_exchange.hpp"
#include "server/unsent_output.hpp"
#include "timing/clock.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace flexilib::server {

// How the epoll set and the ready queue name a connection: its slot and the slot's
// generation (see connection_slots.hpp).
using Ticket = uint64_t;

struct Connection {
  Connection(int fd, std::string peer_ip, int peer_port, std::string local_ip, int local_port);
  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  const int fd;
  const std::string peer_ip;
  const int peer_port;
  const std::string local_ip;
  const int local_port;
  const std::string peer; // "ip:port", as the request log prints it

  // What the connection waits for, and when that state's clock started (see
  // connection_state.hpp). Changed only through enter() and made_progress(), by the
  // thread that owns the connection; read by the housekeeper when none does.
  ConnectionState state() const { return state_.load(std::memory_order_acquire); }
  Clock::rep state_since() const { return state_since_.load(std::memory_order_relaxed); }
  // Moves to `next`, which transition_allowed() must permit; a new state's clock
  // starts now, staying keeps it running.
  void enter(ConnectionState next, Clock::rep now = now_ticks());
  // Bytes moved: restarts the clock of a state whose deadline is about inactivity.
  void made_progress(Clock::rep now = now_ticks());
  // The housekeeper, having shut an overdue connection down, restarts its clock so
  // that the next sweep does not report it again before a thread closes it.
  void postpone_deadline(Clock::rep now) { state_since_.store(now, std::memory_order_relaxed); }

  // Its slot and generation, set once when the pool adds it (ConnectionSlots::add).
  Ticket ticket = 0;
  // The last read filled all the room it was given, so the socket may hold more:
  // edge-triggered epoll reports only new arrivals, so the thread serves it again
  // rather than wait for an event. A shorter read, as in nginx, says it is drained.
  bool more_input = false;
  // Requests served so far; touched only by the thread that owns the connection.
  size_t requests_served = 0;

  // Bytes received but not yet used (a pipelined request, or the start of a head
  // still arriving), carried between turns; empty nearly always.
  std::string pending;
  // A request whose body is still arriving (ConnectionState::receiving_body).
  ArrivingRequest arriving;
  // Response bytes the socket would not take yet (ConnectionState::sending).
  UnsentOutput unsent;
  // How the connection ends once `unsent` has gone out: not yet (the next request is
  // read), closed, or lingering: after a refusal the client may still be sending the
  // body, and closing with unread bytes would reset the connection, which can destroy
  // the refusal before the client reads it. So the server stops writing and reads and
  // discards what comes, until the client closes or READ_TIMEOUT_MS passes.
  enum class Ending : uint8_t { none, close, linger };
  Ending ending = Ending::none;

  // A request whose answer is still on its way (ConnectionState::relaying): a proxied
  // request waiting for its upstream or for room in the client's socket. Its events
  // (the client's socket's and the upstream's) resume it; once done, the connection
  // reads its next request, or closes when `close_after_parked`.
  std::unique_ptr<ParkedExchange> parked;
  bool close_after_parked = false;
  // How long the parked request may wait without progress (ms), for the housekeeper.
  std::atomic<int> parked_limit_ms{0};

private:
  std::atomic<ConnectionState> state_{ConnectionState::idle};
  std::atomic<Clock::rep> state_since_{0};
};

// The log line that says a connection's client read nothing of its response for
// WRITE_TIMEOUT_MS (stalled_reader), which is then closed.
void report_stalled_reader(const Connection &connection, int write_timeout_ms);

} // namespace flexilib::server
