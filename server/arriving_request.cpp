// Collecting a request body in the epoll loop: exactly as many bytes as the framing
// says, so that a pipelined request behind it stays in the socket.
#include "server/arriving_request.hpp"

#include "server/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>

namespace flexilib::server {

namespace {

constexpr size_t step = 64 * 1024; // memory grows with what arrives, not what is announced

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
  while (bytes.size() < length) {
    const size_t have = bytes.size();
    bytes.resize(std::min(length, have + step));
    const ssize_t got = receive_now(connection.fd, bytes.data() + have, bytes.size() - have, 0);
    bytes.resize(have + size_t(std::max<ssize_t>(got, 0)));
    if (got <= 0) return end_of(got);
    connection.last_active = Clock::now().time_since_epoch().count();
  }
  return Arrival::complete;
}

// The end of a chunked body is found only by reading it, so each step peeks first,
// lets the meter say how much of that is body, and takes exactly that much.
Arrival receive_chunked(Connection &connection) {
  ArrivingRequest &arriving = connection.arriving;
  std::vector<char> &bytes = arriving.bytes;
  ChunkedBodyMeter &meter = *arriving.chunked;
  while (!meter.stopped()) {
    const size_t have = bytes.size();
    if (have + step > arriving.budget.bytes() && !arriving.budget.grow(step))
      return Arrival::out_of_budget;
    bytes.resize(have + step);
    const ssize_t peeked = receive_now(connection.fd, bytes.data() + have, step, MSG_PEEK);
    const size_t body = peeked > 0 ? meter.feed({bytes.data() + have, size_t(peeked)}) : 0;
    // What was peeked is still queued: receiving `body` bytes takes exactly those.
    const ssize_t got = body > 0 ? receive_now(connection.fd, bytes.data() + have, body, 0) : 0;
    bytes.resize(have + size_t(std::max<ssize_t>(got, 0)));
    if (peeked <= 0) return end_of(peeked);
    if (got != ssize_t(body)) return Arrival::closed;
    connection.last_active = Clock::now().time_since_epoch().count();
  }
  return Arrival::complete;
}

} // namespace

Arrival receive_arriving(Connection &connection) {
  return connection.arriving.chunked ? receive_chunked(connection) : receive_by_length(connection);
}

} // namespace flexilib::server
