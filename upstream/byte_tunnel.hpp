// The two-way byte tunnel a connection becomes after an upstream's "101 Switching
// Protocols" (WebSocket, or any Upgrade): what one side sends goes to the other,
// unread, until both have finished or nothing moves for the idle timeout. One thread,
// poll() on the two sockets, one bounded buffer per direction: a side that does not
// read stops the other from being read (backpressure), never more memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flexilib::upstream {

struct TunnelOptions {
  int idle_ms = 0; // UPSTREAM_READ_TIMEOUT_MS: nothing moved either way for this long
  size_t buffer_bytes = 16 * 1024; // per direction
  // Readable once the server is stopping (an eventfd): the tunnel then closes both
  // sides, as nginx closes upgraded connections at shutdown. -1: none.
  int stop_fd = -1;
};

struct TunnelOutcome {
  enum class End : uint8_t {
    closed,       // both sides finished sending (each end-of-stream was passed on)
    reset,        // a side broke the connection (reset, or a send to a closed side)
    idle_timeout, // nothing moved either way for idle_ms
    stopped,      // the server is stopping (TunnelOptions::stop_fd)
  };
  End end = End::closed;
  uint64_t to_upstream = 0; // bytes passed client -> upstream (the early ones included)
  uint64_t to_client = 0;   // bytes passed upstream -> client
};

// Runs the tunnel until it ends; the caller closes both sockets afterwards. The
// sockets are made non-blocking. `early_to_upstream`: what the client sent after its
// request head, already read; `early_to_client`: what the upstream sent after its
// 101 head, already read. A side's end of stream is passed on as shutdown(SHUT_WR) to
// the other (a half-close: the other direction goes on until it ends too).
TunnelOutcome run_byte_tunnel(int client_fd, int upstream_fd, std::string_view early_to_upstream,
                              std::string_view early_to_client, const TunnelOptions &options);

} // namespace flexilib::upstream
