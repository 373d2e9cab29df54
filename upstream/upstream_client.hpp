// Sending one request to an HTTP upstream and turning its answer into ours. Each
// serving thread keeps its own keep-alive client per upstream (thread-local), so
// connections are reused across requests and no lock is ever taken.
#pragma once

#include "upstream/retry_policy.hpp"
#include "upstream/upstream_url.hpp"

#include <httplib.h>

#include <chrono>
#include <string>
#include <string_view>

namespace flexilib::upstream {

struct UpstreamTimeouts {
  int connect_ms = 0; // UPSTREAM_CONNECT_TIMEOUT_MS
  int read_ms = 0;    // UPSTREAM_READ_TIMEOUT_MS: each wait for bytes, and each send
};

// What is sent: `target` already rewritten, `headers` already filtered
// (upstream_request_headers). `body` is read in place, not copied.
struct OutgoingRequest {
  std::string_view method;
  std::string target;
  httplib::Headers headers;
  std::string_view body;
};

struct ForwardOutcome {
  int failure_status = 0; // 0: `response` holds the upstream's answer; else 502 or 504
  std::string failure;    // the cause, for the log line ("connection refused")
  FailureKind kind = FailureKind::refused; // how it failed, for health and the retry
  // When the upstream's response head arrived (ttfb), or when the attempt ended.
  std::chrono::steady_clock::time_point head_arrived{};
};

// Sends `request` to `upstream` and fills `response` with its status, reason,
// filtered headers and body (moved, not copied). On failure `response` is untouched.
ForwardOutcome forward(const UpstreamUrl &upstream, const OutgoingRequest &request,
                       const UpstreamTimeouts &timeouts, httplib::Response &response);

} // namespace flexilib::upstream
