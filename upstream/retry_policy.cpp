// What a failed upstream attempt means for health and for a retry.
#include "upstream/retry_policy.hpp"

namespace flexilib::upstream {

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

bool marks_down(FailureKind kind) {
  switch (kind) {
  case FailureKind::refused:
  case FailureKind::connect_timeout:
  case FailureKind::broken:
  case FailureKind::timed_out:
    return true;
  case FailureKind::stale_connection:
  case FailureKind::bad_answer:
    return false;
  }
  return false;
}

bool should_retry(std::string_view method, const AttemptFailure &failure) {
  if (failure.client_bytes_sent) return false;
  switch (failure.kind) {
  case FailureKind::refused:
  case FailureKind::connect_timeout:
    return true; // the upstream never saw the request: safe for any method
  case FailureKind::bad_answer:
    return false;
  case FailureKind::stale_connection:
  case FailureKind::broken:
  case FailureKind::timed_out:
    break;
  }
  return is_idempotent(method); // the upstream may have acted on it
}

} // namespace flexilib::upstream
