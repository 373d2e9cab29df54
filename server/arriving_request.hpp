// A request whose body is still arriving, collected with its connection (head and
// body) while the connection waits in epoll, so that a client sending a body slowly
// holds no serving thread. Collection never reads past the request's last byte.
#pragma once

#include "server/chunked_body_meter.hpp"
#include "server/memory_budget.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace flexilib::server {

struct Connection;

struct ArrivingRequest {
  std::vector<char> bytes;                 // the head and as much body as has come
  size_t length = 0;                       // Content-Length framing: the whole request's
  std::optional<ChunkedBodyMeter> chunked; // chunked framing: where the body ends
  MemoryBudget::Reservation budget;        // counts `bytes` against CLIENT_BUFFERS_MB
  bool continue_sent = false;              // "100 Continue" went out for it
};

enum class Arrival {
  complete,      // every byte is here (or the chunked body was found bad: it is refused)
  waiting,       // the socket has nothing more now
  out_of_budget, // a chunked body outgrew CLIENT_BUFFERS_MB
  closed         // the client went away
};

// Receives what the socket has now of connection.arriving, without waiting.
Arrival receive_arriving(Connection &connection);

} // namespace flexilib::server
