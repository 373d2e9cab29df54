// How a failed attempt to reach an upstream counts: whether it marks the upstream
// down (passive health) and whether the request is tried once more. nginx's
// proxy_next_upstream "error timeout" (its default) is the reference: a request that
// has sent anything to the client is never retried, and a non-idempotent one only
// when nothing reached the upstream.
#pragma once

#include <cstdint>
#include <string_view>

namespace flexilib::upstream {

// How one attempt failed, as the forwarding reports it.
enum class FailureKind : uint8_t {
  refused,          // no connection (refused, unreachable): nothing was sent upstream
  connect_timeout,  // no connection within UPSTREAM_CONNECT_TIMEOUT_MS: nothing was sent
  stale_connection, // a pooled keep-alive connection the upstream had closed while idle
  broken,           // the connection broke after the request went out, before an answer
  timed_out,        // no answer within UPSTREAM_READ_TIMEOUT_MS
  bad_answer,       // bytes that are not an HTTP answer (a hostile or broken upstream)
};

struct AttemptFailure {
  FailureKind kind = FailureKind::refused;
  bool client_bytes_sent = false; // part of the answer already reached the client
};

// RFC 9110 §9.2.2: GET, HEAD, PUT, DELETE, OPTIONS, TRACE (methods are case-sensitive).
bool is_idempotent(std::string_view method);

// Whether the failure says the upstream is unwell, so it is skipped for
// UPSTREAM_FAIL_TIMEOUT_S: it refused, timed out, or broke a fresh connection. A
// stale pooled connection says nothing of the upstream's health (closing idle
// connections is its right), and a bad answer is the upstream's content, not its
// reachability (nginx counts neither by default).
bool marks_down(FailureKind kind);

// Whether the request is sent once more (to another upstream, or on a fresh
// connection): never once the client has seen a byte of an answer, never after a bad
// answer; always when nothing was sent upstream; otherwise for idempotent methods only.
bool should_retry(std::string_view method, const AttemptFailure &failure);

} // namespace flexilib::upstream
