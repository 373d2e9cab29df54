// Forwarding a request to one of a rule's upstreams: the relay begins on the serving
// thread and, when it must wait, parks with the connection; the tunnel after a 101.
#include "targets/upstream_target.hpp"

#include "server/error_response.hpp"
#include "targets/exchange.hpp"
#include "targets/relay_in_flight.hpp"
#include "targets/upgrade_tunnel.hpp"

namespace flexilib::targets {

void UpstreamTarget::serve(Exchange &exchange, server::ResponseMessage &response) const {
  auto relay = std::make_unique<RelayInFlight>(group_, limits_, exchange);
  using Progress = server::ParkedExchange::Progress;
  Progress progress = relay->begin();
  // An upgrade becomes a tunnel on this thread (upgrade_tunnel): its handshake is
  // relayed here too.
  if (progress != Progress::done && relay->upgrade_requested()) progress = relay->run_to_end();
  if (progress != Progress::done) {
    // The answer comes later: the connection waits for it in the epoll set, and
    // nothing cpp-httplib writes for this request goes out.
    relay->keep_request();
    relay->waiting = progress;
    exchange.stream.send_relayed(nullptr, 0, 0, 0);
    exchange.connection.parked = std::move(relay);
    return;
  }

  upstream::AttemptResult &result = relay->result();
  exchange.response_ready = result.head_arrived;
  if (result.upgraded) {
    exchange.stream.send_relayed(nullptr, 0, relay->status(), 0);
    tunnel_upgraded(exchange, result.upgraded->upstream.get(), result.upgraded->early_bytes,
                    limits_.read_ms);
    exchange.stream.close_after_response(); // the connection was the tunnel's
    return;
  }
  if (relay->report_failure()) {
    server::respond_with_error(response, result.failure_status,
                               result.failure_status == 504
                                   ? "504 Gateway Timeout: the upstream did not answer in time"
                                   : "502 Bad Gateway: the upstream cannot be reached");
    return;
  }
  if (relay->status() != 0)
    exchange.stream.send_relayed(nullptr, 0, relay->status(), relay->body_bytes());
  if (relay->closes_connection()) exchange.stream.close_after_response();
}

} // namespace flexilib::targets
