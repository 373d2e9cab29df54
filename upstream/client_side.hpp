// The client's end of a relayed response, as the relay sees it: where the bytes go,
// what framing the client understands, and how to end its connection. The server
// implements it over the client's connection (targets/upstream_target); tests may
// implement it over anything.
#pragma once

#include <cstddef>
#include <sys/uio.h>

namespace flexilib::upstream {

class ClientSide {
public:
  virtual ~ClientSide() = default;

  // The client speaks HTTP/1.1: a body of unknown length can go to it chunked.
  virtual bool accepts_chunked() const = 0;
  // The client's connection stays open after this response unless the relay ends it.
  virtual bool keeps_alive() const = 0;

  // Sends `count` parts whole, waiting for the client as long as it reads (each wait
  // bounded by WRITE_TIMEOUT_MS): never more than these bytes are held for it.
  // `status` is the response's (for the log), `body_bytes` how many of the bytes are
  // body. False: the client is gone or stopped reading.
  virtual bool send(const iovec *parts, size_t count, int status, size_t body_bytes) = 0;

  // The response ends with the connection: a body whose end only a close can tell,
  // or one cut short. The connection closes once it is sent.
  virtual void close_after_response() = 0;
};

} // namespace flexilib::upstream
