// A request whose answer is still on its way when the serving thread lets its
// connection go: a proxied request waiting for its upstream, or for room in its
// client's socket. It waits with the connection (Connection::parked), not in a thread:
// the upstream's socket is in the same epoll set as the client's (server/socket_links),
// an event on either becomes a turn of the connection, and the turn resumes the
// exchange. What the request log and the figures need is kept here from the request's
// start (ParkedRecord) and written once, when the exchange is done.
#pragma once

#include "loader/route_table.hpp"
#include "timing/clock.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace flexilib::server {

struct Connection;

// The figures of a parked request known when it parked (see RequestPipeline::record).
struct ParkedRecord {
  std::string request_line;
  Clock::time_point start{};
  std::chrono::system_clock::time_point wall_start{};
  std::shared_ptr<const loader::RouteTable> table; // keeps the route (and its target) alive
  const loader::Route *route = nullptr;
  size_t prealloc_bytes = 0, alloc_bytes = 0;
};

class ParkedExchange {
public:
  virtual ~ParkedExchange() = default;

  enum class Progress : uint8_t {
    waiting_upstream, // for the upstream's bytes: UPSTREAM_READ_TIMEOUT_MS of silence at most
    waiting_client,   // for room in the client's socket: WRITE_TIMEOUT_MS at most
    done,             // the response is over: log it, then the connection goes on (or closes)
  };
  // A turn of the connection, on the thread that owns it: goes on with what the
  // sockets allow now. `late`: the wait it parked for has lasted past its limit
  // (the caller's clock, restarted whenever moved() was true); the exchange gives up
  // if nothing moves now.
  virtual Progress resume(Connection &connection, bool late) = 0;
  // Bytes moved during the last resume().
  virtual bool moved() const = 0;
  // How long it may wait for its upstream's bytes (UPSTREAM_READ_TIMEOUT_MS); a wait
  // for the client is WRITE_TIMEOUT_MS, as for any response.
  virtual int upstream_wait_limit_ms() const = 0;

  // Once done: what went to the client, for the log.
  virtual int status() const = 0;
  virtual size_t body_bytes() const = 0;
  virtual Clock::time_point response_ready() const = 0; // ttfb; unset: at the end
  // The connection must close now (the response ended with it, or was cut).
  virtual bool closes_connection() const = 0;
  // Of which: the client read nothing for WRITE_TIMEOUT_MS (the caller says so).
  virtual bool client_stalled() const = 0;

  ParkedRecord record;
  // What it waits for now: set by whoever parks or resumes it.
  Progress waiting = Progress::waiting_upstream;
};

} // namespace flexilib::server
