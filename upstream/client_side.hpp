// The client's end of a relayed response, as the relay sees it: where the bytes go,
// what framing the client understands, and how to end its connection. The server
// implements it over the client's connection (targets/relay_in_flight); tests may
// implement it over anything.
#pragma once

#include <cstddef>
#include <sys/types.h>
#include <sys/uio.h>

namespace flexilib::upstream {

class ClientSide {
public:
  virtual ~ClientSide() = default;

  // The client speaks HTTP/1.1: a body of unknown length can go to it chunked.
  virtual bool accepts_chunked() const = 0;
  // The client's connection stays open after this response unless the relay ends it.
  virtual bool keeps_alive() const = 0;

  // Sends what the client's socket takes now of the `count` parts, without waiting:
  // the bytes taken (fewer than offered, even 0, when the socket is full), or -1 when
  // the client is gone. `status` is the response's (for the log), `body_bytes` how
  // many of the bytes offered are body (given once, when first offered).
  virtual ssize_t send_now(const iovec *parts, size_t count, int status, size_t body_bytes) = 0;

  // Waits until the client's socket takes bytes again, a bounded time (the server's
  // side: UPSTREAM_READ_TIMEOUT_MS, the limit of the tunnel that follows); false when
  // it did not. Only a relay run to its end on one thread waits so (the
  // handshake before a byte tunnel); a parked one waits in the epoll set.
  virtual bool wait_writable() = 0;

  // The response ends with the connection: a body whose end only a close can tell,
  // or one cut short. The connection closes once it is sent.
  virtual void close_after_response() = 0;
};

} // namespace flexilib::upstream
