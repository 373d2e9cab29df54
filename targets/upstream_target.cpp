// Forwarding a request to an HTTP upstream.
#include "targets/upstream_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "server/error_response.hpp"
#include "targets/exchange.hpp"
#include "upstream/forwarded_headers.hpp"

namespace flexilib::targets {

void UpstreamTarget::serve(Exchange &exchange, httplib::Response &response) const {
  const httplib::Request &request = exchange.request;
  upstream::OutgoingRequest outgoing{
      request.method, upstream::rewrite_target(request.target, exchange.path_prefix, url_.path),
      upstream::upstream_request_headers({exchange.headers, exchange.header_count},
                                         {exchange.connection.peer_ip, request.version}),
      exchange.body};
  const upstream::ForwardOutcome outcome = upstream::forward(url_, outgoing, timeouts_, response);
  exchange.response_ready = outcome.head_arrived;
  if (outcome.failure_status == 0) {
    exchange.stream.set_reason_phrase(response.reason);
    return;
  }
  diagnostics::write_diagnostic("upstream " + url_.text + ": " + outcome.failure + " (" +
                                request.method + " " + request.target + "), answered " +
                                std::to_string(outcome.failure_status));
  server::respond_with_error(response, outcome.failure_status,
                             outcome.failure_status == 504
                                 ? "504 Gateway Timeout: the upstream did not answer in time"
                                 : "502 Bad Gateway: the upstream cannot be reached");
}

} // namespace flexilib::targets
