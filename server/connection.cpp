// A connection's life: its socket closes with it; its state changes in one place.
#include "server/connection.hpp"

#include "server/access_log.hpp"

#include <cassert>
#include <unistd.h>

namespace flexilib::server {

Connection::Connection(int fd_, std::string peer_ip_, int peer_port_, std::string local_ip_,
                       int local_port_)
    : fd(fd_), peer_ip(std::move(peer_ip_)), peer_port(peer_port_), local_ip(std::move(local_ip_)),
      local_port(local_port_), peer(peer_ip + ":" + std::to_string(peer_port)) {}

Connection::~Connection() {
  ::close(fd);
}

void Connection::enter(ConnectionState next, Clock::rep now) {
  const ConnectionState current = state();
  assert(transition_allowed(current, next));
  if (next == current) return;
  state_since_.store(now, std::memory_order_relaxed);
  state_.store(next, std::memory_order_release);
}

void Connection::made_progress(Clock::rep now) {
  if (progress_restarts_clock(state())) state_since_.store(now, std::memory_order_relaxed);
}

void report_stalled_reader(const Connection &connection, int write_timeout_ms) {
  write_diagnostic(connection.peer + ": " + stalled_reader(write_timeout_ms) +
                   ": connection closed");
}

} // namespace flexilib::server
