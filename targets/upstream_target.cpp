// Forwarding a request to one of a rule's upstreams, its answer relayed to the
// client, with one retry and the tunnel after a 101.
#include "targets/upstream_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "http/case_insensitive.hpp"
#include "server/error_response.hpp"
#include "targets/exchange.hpp"
#include "targets/upgrade_tunnel.hpp"
#include "upstream/retry_policy.hpp"

namespace flexilib::targets {

namespace {

// The client's connection as the relay sees it.
class StreamClientSide final : public upstream::ClientSide {
public:
  StreamClientSide(server::ConnectionStream &stream, const httplib::Request &request)
      : stream_(stream), http_1_1_(request.version == "HTTP/1.1"),
        // cpp-httplib's own rule, which decides whether the connection stays open.
        keeps_alive_(request.get_header_value("Connection") != "close" &&
                     (http_1_1_ || request.get_header_value("Connection") == "Keep-Alive")) {}

  bool accepts_chunked() const override { return http_1_1_; }
  bool keeps_alive() const override { return keeps_alive_; }
  bool send(const iovec *parts, size_t count, int status, size_t body_bytes) override {
    return stream_.send_relayed(parts, count, status, body_bytes);
  }
  void close_after_response() override { stream_.close_after_response(); }

private:
  server::ConnectionStream &stream_;
  const bool http_1_1_;
  const bool keeps_alive_;
};

// Whether the client framed a body (even an empty one): the upstream gets a length.
bool frames_body(const Exchange &exchange) {
  for (size_t i = 0; i < exchange.header_count; ++i) {
    const std::string_view name(exchange.headers[i].name_ptr, exchange.headers[i].name_len);
    if (http::equals_ignoring_case(name, "content-length") ||
        http::equals_ignoring_case(name, "transfer-encoding"))
      return true;
  }
  return false;
}

// What the relay's report means for health and the retry (upstream/retry_policy).
upstream::AttemptFailure failure_of(const upstream::AttemptResult &result) {
  using upstream::AttemptStage;
  using upstream::FailureKind;
  FailureKind kind = FailureKind::broken;
  switch (result.stage) {
  case AttemptStage::connect_failed:
    kind = result.timed_out ? FailureKind::connect_timeout : FailureKind::refused;
    break;
  case AttemptStage::bad_answer:
    kind = FailureKind::bad_answer;
    break;
  case AttemptStage::send_failed:
  case AttemptStage::no_answer:
  case AttemptStage::broken_after_head:
  case AttemptStage::answered:
    kind = result.timed_out           ? FailureKind::timed_out
           : result.reused_connection ? FailureKind::stale_connection
                                      : FailureKind::broken;
    break;
  }
  return {kind, result.client_bytes_sent || result.stage == AttemptStage::broken_after_head};
}

} // namespace

UpstreamTarget::Attempted UpstreamTarget::forward(const upstream::OutgoingRequest &outgoing,
                                                  upstream::ClientSide &client) const {
  Attempted attempted{{}, group_.pick(now_ticks())};
  bool retry = false;
  for (;;) {
    const upstream::GroupMember &member = group_.member(attempted.index);
    member.server->count_attempt(retry);
    const Clock::time_point started = Clock::now();
    // A retry never takes a pooled connection: it could be as stale as the last one.
    attempted.result = upstream::relay_attempt(member.url, outgoing, limits_, client, retry);
    const upstream::AttemptResult &result = attempted.result;
    if (result.failure_status == 0) {
      if (result.head_arrived != Clock::time_point{})
        member.server->count_answer(result.head_arrived - started);
      return attempted;
    }
    const upstream::AttemptFailure failure = failure_of(result);
    member.server->count_failure(failure.kind, now_ticks(), group_.fail_timeout());
    if (retry || !upstream::should_retry(outgoing.method, failure)) return attempted;
    const size_t next = group_.pick_retry(attempted.index, now_ticks());
    diagnostics::write_diagnostic(
        "upstream " + member.url.text + ": " + result.failure + " (" +
        std::string(outgoing.method) + " " + std::string(outgoing.target) + "), retried " +
        (next == attempted.index ? "on a new connection" : "on " + group_.member(next).url.text));
    attempted.index = next;
    retry = true;
  }
}

void UpstreamTarget::serve(Exchange &exchange, server::ResponseMessage &response) const {
  const httplib::Request &request = exchange.request;
  const upstream::OutgoingRequest outgoing{request.method,
                                           request.target,
                                           exchange.path_prefix,
                                           {exchange.headers, exchange.header_count},
                                           {exchange.connection.peer_ip, request.version},
                                           exchange.body,
                                           frames_body(exchange)};
  StreamClientSide client(exchange.stream, request);
  const Attempted attempted = forward(outgoing, client);
  const upstream::AttemptResult &result = attempted.result;
  exchange.response_ready = result.head_arrived;

  if (result.upgraded) {
    tunnel_upgraded(exchange, result.upgraded->upstream.get(), result.upgraded->early_bytes,
                    limits_.read_ms);
    exchange.stream.close_after_response(); // the connection was the tunnel's
    return;
  }
  if (result.failure_status == 0) return;
  const std::string what = "upstream " + group_.member(attempted.index).url.text + ": " +
                           result.failure + " (" + request.method + " " + request.target + "), ";
  if (result.client_bytes_sent) {
    diagnostics::write_diagnostic(what + "the client's connection was cut");
    return;
  }
  diagnostics::write_diagnostic(what + "answered " + std::to_string(result.failure_status));
  server::respond_with_error(response, result.failure_status,
                             result.failure_status == 504
                                 ? "504 Gateway Timeout: the upstream did not answer in time"
                                 : "502 Bad Gateway: the upstream cannot be reached");
}

} // namespace flexilib::targets
