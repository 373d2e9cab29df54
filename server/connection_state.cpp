// The deadline of each connection state.
#include "server/connection_state.hpp"

namespace flexilib::server {

std::string_view state_name(ConnectionState state) {
  switch (state) {
  case ConnectionState::idle:
    return "idle";
  case ConnectionState::reading_head:
    return "reading a head";
  case ConnectionState::receiving_body:
    return "receiving a body";
  case ConnectionState::sending:
    return "sending";
  case ConnectionState::lingering:
    return "lingering";
  case ConnectionState::relaying:
    return "relaying";
  }
  return "?";
}

std::string stalled_reader(int write_timeout_ms) {
  return "read nothing of its response for " + std::to_string(write_timeout_ms) +
         " ms (WRITE_TIMEOUT_MS)";
}

Overdue overdue(ConnectionState state, Clock::rep since, Clock::rep now,
                const StateDeadlines &deadlines) {
  const Clock::rep quiet = now - since;
  const Clock::rep read_limit = ticks_of(std::chrono::milliseconds(deadlines.read_ms));
  switch (state) {
  case ConnectionState::idle:
    return {quiet > ticks_of(std::chrono::seconds(deadlines.keep_alive_seconds)), {}};
  case ConnectionState::reading_head:
  case ConnectionState::lingering:
    return {quiet > read_limit, {}};
  case ConnectionState::receiving_body:
    if (quiet <= read_limit) return {};
    return {true, "request body stopped arriving for " + std::to_string(deadlines.read_ms) +
                      " ms (READ_TIMEOUT_MS)"};
  case ConnectionState::sending:
    if (quiet <= ticks_of(std::chrono::milliseconds(deadlines.write_ms))) return {};
    return {true, stalled_reader(deadlines.write_ms)};
  case ConnectionState::relaying:
    return {}; // its wait's limit is the parked exchange's (WorkerPool::wake_overdue_relays)
  }
  return {};
}

} // namespace flexilib::server
