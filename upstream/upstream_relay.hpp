// One attempt at a proxied request: the request goes out over ONE upstream
// connection (a pooled keep-alive one unless asked for a fresh one) and the answer
// is relayed to the client as it arrives, through one buffer of PROXY_BUFFER_KB:
// the head as soon as it is whole, the body chunk by chunk. When the client reads
// slower than the upstream sends, the upstream is not read (TCP pushes back on it);
// the memory of a relayed response never grows with its body.
//
// The attempt runs on the serving thread and waits where it must: for the upstream
// (each wait UPSTREAM_READ_TIMEOUT_MS at most) and for the client (ClientSide::send,
// WRITE_TIMEOUT_MS each). Which upstream, retries and what follows a 101 are the
// caller's (targets/upstream_target).
#pragma once

#include "upstream/client_side.hpp"
#include "upstream/forwarded_headers.hpp"
#include "upstream/upstream_connection_pool.hpp"
#include "upstream/upstream_url.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flexilib::upstream {

struct UpstreamLimits {
  int connect_ms = 0;          // UPSTREAM_CONNECT_TIMEOUT_MS
  int read_ms = 0;             // UPSTREAM_READ_TIMEOUT_MS: each wait for bytes, and each send
  size_t buffer_bytes = 65536; // PROXY_BUFFER_KB: the relay's one buffer, head included
};

// The request as the client sent it; the attempt writes the head for its upstream
// (the target rewritten for the URL's path, fields filtered: forwarded_headers).
struct OutgoingRequest {
  std::string_view method;
  std::string_view target;      // as sent
  std::string_view path_prefix; // the matched rule's, replaced by the URL's path
  std::span<const flexilib_header> headers;
  ClientFacts client;
  std::string_view body; // in memory, so that another attempt can send it again
  bool has_body = false; // a body is framed (Content-Length or chunked), even empty
};

// How far an attempt got before it failed.
enum class AttemptStage {
  connect_failed,    // no connection: nothing reached the upstream
  send_failed,       // the request could not be sent whole
  no_answer,         // no (complete) response head came back
  bad_answer,        // the head came back refused: malformed, too large, too many fields
  broken_after_head, // the body stopped short: the client's connection is cut
  answered           // the response went to the client whole (or the client left)
};

// The upstream answered 101: its connection, for the caller's tunnel.
struct Upgraded {
  UniqueFd upstream;
  std::string early_bytes; // what the upstream sent past the 101 head, for the client
};

struct AttemptResult {
  int failure_status = 0; // 0, or 502/504 for the log and, if nothing was sent, the client
  std::string failure;    // the cause, for the log line
  AttemptStage stage = AttemptStage::answered;
  bool reused_connection = false; // it ran on a pooled connection (stale ones fail so)
  bool client_bytes_sent = false; // the client has bytes of the answer: no retry, no error page
  bool client_gone = false;       // the client stopped reading or went away
  bool timed_out = false;         // a wait reached its timeout
  std::chrono::steady_clock::time_point head_arrived{}; // ttfb; unset when none came
  std::optional<Upgraded> upgraded;
};

// Sends `request` to `upstream` and relays its answer to `client`.
AttemptResult relay_attempt(const UpstreamUrl &upstream, const OutgoingRequest &request,
                            const UpstreamLimits &limits, ClientSide &client,
                            bool fresh_connection = false);

// Response heads with more fields are refused (502).
constexpr size_t max_upstream_header_fields = 1000;

} // namespace flexilib::upstream
