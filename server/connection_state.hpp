// A connection's state between the turns a serving thread gives it: what it waits
// for in epoll, named once, with the transitions it may make and the deadline each
// state has. The thread that owns the connection moves it (Connection::enter); the
// housekeeper reads the state of the others to find the overdue ones (overdue()).
#pragma once

#include "timing/clock.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace flexilib::server {

enum class ConnectionState : uint8_t {
  idle,           // between requests: closed, silently, after KEEPALIVE_TIMEOUT_S
  reading_head,   // a request has begun to arrive (its head, or a body that fits in the
                  // thread's buffer): READ_TIMEOUT_MS from its first byte, silently
  receiving_body, // a body collected with the connection (ArrivingRequest): closed,
                  // with a log line, after READ_TIMEOUT_MS without a byte
  sending,        // a response the client has not read (UnsentOutput): closed, with a
                  // log line, after WRITE_TIMEOUT_MS without progress
  lingering,      // after a refusal, reading and dropping what the client still sends:
                  // closed, silently, READ_TIMEOUT_MS after it began
  relaying,       // a request parked with the connection (Connection::parked), waiting
                  // for its upstream or its client: resumed by an event on either; the
                  // worker pool gives it up after UPSTREAM_READ_TIMEOUT_MS without an
                  // upstream byte, or WRITE_TIMEOUT_MS without the client taking one
};
constexpr size_t connection_state_count = 6;

// Which state may follow which (staying is always allowed). A lingering connection
// only closes; a sending one goes back to reading requests through idle, or to the
// body it was collecting when its "100 Continue" could not go out at once.
constexpr bool transition_allowed(ConnectionState from, ConnectionState to) {
  constexpr std::array<std::array<bool, connection_state_count>, connection_state_count> allowed{{
      //  idle   head   body   send   linger relay    <- to; from:
      {{true, true, true, true, true, true}},      // idle
      {{true, true, true, true, true, true}},      // reading_head
      {{true, false, true, true, true, false}},    // receiving_body
      {{true, false, true, true, true, false}},    // sending
      {{false, false, false, false, true, false}}, // lingering
      {{true, false, false, false, true, true}},   // relaying: back to requests through idle
  }};
  return allowed[size_t(from)][size_t(to)];
}

// Whether bytes moving restart the state's clock. Heads and lingering run from the
// state's start, so that a client trickling a byte at a time cannot hold on.
constexpr bool progress_restarts_clock(ConnectionState state) {
  return state == ConnectionState::idle || state == ConnectionState::receiving_body ||
         state == ConnectionState::sending || state == ConnectionState::relaying;
}

std::string_view state_name(ConnectionState state);

// "read nothing of its response for N ms (WRITE_TIMEOUT_MS)": why a sending
// connection is closed, by the housekeeper or by a thread that waited for it.
std::string stalled_reader(int write_timeout_ms);

struct StateDeadlines {
  int read_ms = 0;            // READ_TIMEOUT_MS
  int write_ms = 0;           // WRITE_TIMEOUT_MS
  int keep_alive_seconds = 0; // KEEPALIVE_TIMEOUT_S
};

struct Overdue {
  bool due = false;
  std::string why; // for the log; empty for a silent close
};

// Whether a connection in `state`, whose clock started at `since`, is overdue at
// `now` (ticks). Idle connections and stalled heads close without a word (they are
// what slowloris sends, by the thousand); a stalled body or response is worth a line.
Overdue overdue(ConnectionState state, Clock::rep since, Clock::rep now,
                const StateDeadlines &deadlines);

} // namespace flexilib::server
