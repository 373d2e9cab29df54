// Forwarding a request to one of a rule's upstreams, with one retry.
#include "targets/upstream_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "server/error_response.hpp"
#include "targets/exchange.hpp"
#include "upstream/forwarded_headers.hpp"
#include "upstream/retry_policy.hpp"

namespace flexilib::targets {

namespace {

std::string request_line(const httplib::Request &request) {
  return request.method + " " + request.target;
}

} // namespace

bool UpstreamTarget::attempt(size_t index, bool retry, Exchange &exchange,
                             httplib::Response &response, upstream::ForwardOutcome &outcome) const {
  const httplib::Request &request = exchange.request;
  const upstream::GroupMember &member = group_.member(index);
  upstream::OutgoingRequest outgoing{
      request.method,
      upstream::rewrite_target(request.target, exchange.path_prefix, member.url.path),
      upstream::upstream_request_headers({exchange.headers, exchange.header_count},
                                         {exchange.connection.peer_ip, request.version}),
      exchange.body};
  member.server->count_attempt(retry);
  const Clock::time_point started = Clock::now();
  outcome = upstream::forward(member.url, outgoing, timeouts_, response);
  if (outcome.failure_status == 0) {
    member.server->count_answer(outcome.head_arrived - started);
    return true;
  }
  member.server->count_failure(outcome.kind, now_ticks(), group_.fail_timeout());
  return false;
}

void UpstreamTarget::serve(Exchange &exchange, httplib::Response &response) const {
  const httplib::Request &request = exchange.request;
  upstream::ForwardOutcome outcome;
  size_t index = group_.pick(now_ticks());
  bool answered = attempt(index, false, exchange, response, outcome);
  // Today's forwarding writes nothing to the client before it returns, so a failure
  // has never reached the client.
  if (!answered && upstream::should_retry(request.method, {outcome.kind, false})) {
    const size_t failed = index;
    index = group_.pick_retry(failed, now_ticks());
    diagnostics::write_diagnostic(
        "upstream " + group_.member(failed).url.text + ": " + outcome.failure + " (" +
        request_line(request) + "), retried " +
        (index == failed ? "on a new connection" : "on " + group_.member(index).url.text));
    answered = attempt(index, true, exchange, response, outcome);
  }
  exchange.response_ready = outcome.head_arrived;
  if (answered) {
    exchange.stream.set_reason_phrase(response.reason);
    return;
  }
  diagnostics::write_diagnostic("upstream " + group_.member(index).url.text + ": " +
                                outcome.failure + " (" + request_line(request) + "), answered " +
                                std::to_string(outcome.failure_status));
  server::respond_with_error(response, outcome.failure_status,
                             outcome.failure_status == 504
                                 ? "504 Gateway Timeout: the upstream did not answer in time"
                                 : "502 Bad Gateway: the upstream cannot be reached");
}

} // namespace flexilib::targets
