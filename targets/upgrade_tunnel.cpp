// Handing an upgraded client connection over to the byte tunnel.
#include "targets/upgrade_tunnel.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "targets/exchange.hpp"

#include <poll.h>

namespace flexilib::targets {

namespace {

// The 101 head may still sit in the connection's unsent output (a client whose
// socket took none of it): it goes before any tunnelled byte. False when the client
// is gone or took nothing for `wait_ms`.
bool send_unsent(server::Connection &connection, int wait_ms) {
  for (;;) {
    switch (connection.unsent.send_to(connection.fd)) {
    case server::SendProgress::done:
      return true;
    case server::SendProgress::failed:
      return false;
    case server::SendProgress::blocked: {
      pollfd entry{connection.fd, POLLOUT, 0};
      if (::poll(&entry, 1, wait_ms) <= 0) return false;
    }
    }
  }
}

} // namespace

upstream::TunnelOutcome tunnel_upgraded(Exchange &exchange, int upstream_fd,
                                        std::string_view early_to_client, int idle_ms) {
  server::StreamBuffers &buffers = exchange.thread.buffers;
  const std::string_view early_to_upstream = buffers.unread();
  buffers.begin = buffers.end; // the client's bytes are the tunnel's now
  if (!send_unsent(exchange.connection, idle_ms)) return {upstream::TunnelOutcome::End::reset};
  const upstream::TunnelOutcome outcome =
      upstream::run_byte_tunnel(exchange.connection.fd, upstream_fd, early_to_upstream,
                                early_to_client, {idle_ms, 16 * 1024, exchange.thread.stopping_fd});
  // Either side closing is the normal end; an idle one, or a shutdown, is worth a line.
  if (outcome.end == upstream::TunnelOutcome::End::stopped)
    diagnostics::write_diagnostic(exchange.connection.peer + ": upgraded connection (" +
                                  exchange.request.method + " " + exchange.request.target +
                                  ") closed: the server is stopping");
  if (outcome.end == upstream::TunnelOutcome::End::idle_timeout)
    diagnostics::write_diagnostic(exchange.connection.peer + ": upgraded connection (" +
                                  exchange.request.method + " " + exchange.request.target +
                                  ") idle for UPSTREAM_READ_TIMEOUT_MS (" +
                                  std::to_string(idle_ms) + " ms): closed");
  return outcome;
}

} // namespace flexilib::targets
