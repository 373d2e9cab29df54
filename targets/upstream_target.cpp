// Forwarding a request to an HTTP upstream, its answer relayed to the client.
#include "targets/upstream_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "http/case_insensitive.hpp"
#include "server/error_response.hpp"
#include "targets/exchange.hpp"

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

} // namespace

void UpstreamTarget::serve(Exchange &exchange, httplib::Response &response) const {
  const httplib::Request &request = exchange.request;
  const upstream::OutgoingRequest outgoing{request.method,
                                           request.target,
                                           exchange.path_prefix,
                                           {exchange.headers, exchange.header_count},
                                           {exchange.connection.peer_ip, request.version},
                                           exchange.body,
                                           frames_body(exchange)};
  StreamClientSide client(exchange.stream, request);
  const upstream::AttemptResult result = upstream::relay_attempt(url_, outgoing, limits_, client);
  exchange.response_ready = result.head_arrived;
  if (result.upgraded) {
    // No tunnel yet: the connection ends after the 101.
    exchange.stream.close_after_response();
    return;
  }
  if (result.failure_status == 0) return;
  const std::string what = "upstream " + url_.text + ": " + result.failure + " (" + request.method +
                           " " + request.target + "), ";
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
