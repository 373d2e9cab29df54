// Collecting a request body in the epoll loop: exactly as many bytes as the framing
// says, so that a pipelined request behind it stays in the socket.
#include "server/arriving_request.hpp"

#include "server/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace flexilib::server {

namespace {

// Bytes are received into this first and appended, so that a body arriving a few bytes
// at a time holds a few bytes, not a buffer of this size.
constexpr size_t step = 16 * 1024;

// recv() without waiting; -1 with errno EAGAIN when there is nothing now.
ssize_t receive_now(int fd, char *into, size_t size, int flags) {
  ssize_t got;
  do {
    got = ::recv(fd, into, size, flags | MSG_DONTWAIT);
  } while (got < 0 && errno == EINTR);
  return got;
}

Arrival end_of(ssize_t got) {
  return got < 0 && errno == EAGAIN ? Arrival::waiting : Arrival::closed;
}

Arrival receive_by_length(Connection &connection) {
  std::vector<char> &bytes = connection.arriving.bytes;
  const size_t length = connection.arriving.length;
  char chunk[step];
  while (bytes.size() < length) {
    const ssize_t got = receive_now(connection.fd, chunk, std::min(step, length - bytes.size()), 0);
    if (got <= 0) return end_of(got);
    bytes.insert(bytes.end(), chunk, chunk + got);
    connection.made_progress();
  }
  return Arrival::complete;
}

// The end of a chunked body is found only by reading it, so each step peeks first,
// lets the meter say how much of that is body, and takes exactly that much.
Arrival receive_chunked(Connection &connection) {
  ArrivingRequest &arriving = connection.arriving;
  ChunkedBodyMeter &meter = *arriving.chunked;
  char chunk[step];
  while (!meter.stopped()) {
    const ssize_t peeked = receive_now(connection.fd, chunk, step, MSG_PEEK);
    if (peeked <= 0) return end_of(peeked);
    const size_t body = meter.feed({chunk, size_t(peeked)});
    if (!arriving.budget.grow(body)) return Arrival::out_of_budget;
    // What was peeked is still queued: receiving `body` bytes takes exactly those.
    if (body > 0 && receive_now(connection.fd, chunk, body, 0) != ssize_t(body))
      return Arrival::closed;
    arriving.bytes.insert(arriving.bytes.end(), chunk, chunk + body);
    connection.made_progress();
  }
  return Arrival::complete;
}

} // namespace

Arrival receive_arriving(Connection &connection) {
  const Arrival arrival =
      connection.arriving.chunked ? receive_chunked(connection) : receive_by_length(connection);
  // Reading stopped at the request's end: the next one may be in the socket already.
  connection.more_input = arrival == Arrival::complete;
  return arrival;
}

} // namespace flexilib::server
