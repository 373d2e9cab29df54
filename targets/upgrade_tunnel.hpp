// What an upstream route does with a connection once the upstream has answered
// "101 Switching Protocols" and the 101 has gone to the client: the connection stops
// being HTTP and becomes a byte tunnel to the upstream (upstream/byte_tunnel) on the
// serving thread, until either side is done or it idles for UPSTREAM_READ_TIMEOUT_MS.
// The serving thread owns the connection all along (the pool does not touch a busy
// one), no handler window is open (HANDLER_TIMEOUT_MS does not apply) and the
// connection closes afterwards.
#pragma once

#include "upstream/byte_tunnel.hpp"

#include <string_view>

namespace flexilib::targets {

struct Exchange;

// Tunnels the exchange's client connection to `upstream_fd` (which the caller closes
// afterwards, and the client's connection with it: the caller tells the stream). `early_to_client`: what the upstream sent after its 101 head, already
// read. What the client sent after its request is in the thread's buffers and goes
// first the other way.
upstream::TunnelOutcome tunnel_upgraded(Exchange &exchange, int upstream_fd,
                                        std::string_view early_to_client, int idle_ms);

} // namespace flexilib::targets
