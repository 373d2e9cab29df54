// Forwarding with cpp-httplib's client. The request body is streamed from the
// server's copy through a content provider; the upstream's body is read into one
// string that becomes our response body by move: each body sits in memory once.
#include "upstream/upstream_client.hpp"

#include "upstream/forwarded_headers.hpp"

#include <map>
#include <memory>

namespace flexilib::upstream {

namespace {

using Clock = std::chrono::steady_clock;

void set_timeout(int ms, auto &&setter) {
  setter(time_t(ms / 1000), time_t(ms % 1000) * 1000);
}

std::unique_ptr<httplib::Client> make_client(const UpstreamUrl &upstream,
                                             const UpstreamTimeouts &timeouts) {
  auto client = std::make_unique<httplib::Client>(upstream.host, upstream.port);
  client->set_keep_alive(true);
  client->set_follow_location(false); // redirects are the client's to follow
  client->set_decompress(false);      // bodies pass through as encoded
  set_timeout(timeouts.connect_ms,
              [&](time_t s, time_t us) { client->set_connection_timeout(s, us); });
  set_timeout(timeouts.read_ms, [&](time_t s, time_t us) { client->set_read_timeout(s, us); });
  set_timeout(timeouts.read_ms, [&](time_t s, time_t us) { client->set_write_timeout(s, us); });
  return client;
}

// This thread's client for the upstream, made on first use. Keyed by host and port,
// so a configuration reload naming the same upstream keeps its warm connection.
std::unique_ptr<httplib::Client> &client_for(const UpstreamUrl &upstream,
                                             const UpstreamTimeouts &timeouts) {
  thread_local std::map<std::pair<std::string, int>, std::unique_ptr<httplib::Client>> clients;
  std::unique_ptr<httplib::Client> &client = clients[{upstream.host, upstream.port}];
  if (!client) client = make_client(upstream, timeouts);
  return client;
}

httplib::Request build_request(const OutgoingRequest &outgoing, Clock::time_point &head_arrived) {
  httplib::Request request;
  request.method = outgoing.method;
  request.path = outgoing.target;
  request.headers = outgoing.headers;
  if (!outgoing.body.empty()) {
    // cpp-httplib's own Post(..., content_length, provider) fills these two fields;
    // they are public, and setting them directly works for every method.
    const std::string_view body = outgoing.body;
    request.content_length_ = body.size();
    request.content_provider_ = [body](size_t offset, size_t length, httplib::DataSink &sink) {
      return sink.write(body.data() + offset, length);
    };
  }
  request.response_handler = [&head_arrived](const httplib::Response &) {
    head_arrived = Clock::now();
    return true;
  };
  return request;
}

ForwardOutcome failure(int status, std::string cause, FailureKind kind) {
  return {status, std::move(cause), kind, Clock::now()};
}

// cpp-httplib reports a read timeout and a connection the upstream broke both as
// Error::Read; a wait as long as the timeout tells them apart.
ForwardOutcome describe_failure(httplib::Error error, Clock::duration waited,
                                const UpstreamTimeouts &timeouts) {
  const auto ms = [](int value) { return std::to_string(value) + " ms"; };
  switch (error) {
  case httplib::Error::Connection:
    return failure(502, "connection refused or failed", FailureKind::refused);
  case httplib::Error::ConnectionTimeout:
    return failure(
        504, "no connection within UPSTREAM_CONNECT_TIMEOUT_MS (" + ms(timeouts.connect_ms) + ")",
        FailureKind::connect_timeout);
  case httplib::Error::Read:
    if (waited >= std::chrono::milliseconds(timeouts.read_ms))
      return failure(504,
                     "no response within UPSTREAM_READ_TIMEOUT_MS (" + ms(timeouts.read_ms) + ")",
                     FailureKind::timed_out);
    return failure(502, "the connection broke before a complete response", FailureKind::broken);
  case httplib::Error::Write:
    return failure(502, "the request could not be sent (connection broken)", FailureKind::broken);
  default:
    return failure(502, httplib::to_string(error), FailureKind::bad_answer);
  }
}

} // namespace

ForwardOutcome forward(const UpstreamUrl &upstream, const OutgoingRequest &outgoing,
                       const UpstreamTimeouts &timeouts, httplib::Response &response) {
  std::unique_ptr<httplib::Client> &client = client_for(upstream, timeouts);
  Clock::time_point head_arrived{};
  httplib::Request request = build_request(outgoing, head_arrived);
  httplib::Response answer;
  httplib::Error error = httplib::Error::Success;
  const Clock::time_point started = Clock::now();
  const bool reused = client->is_socket_open() != 0; // a kept-alive connection goes first
  if (!client->send(request, answer, error)) {
    // A failed exchange may leave the connection mid-message: never reuse it. (The
    // client is dropped rather than stop()ped: stop() unlocks a mutex that
    // cpp-httplib's uninstrumented code locked, which ThreadSanitizer misreports.)
    client.reset();
    ForwardOutcome outcome = describe_failure(error, Clock::now() - started, timeouts);
    // A kept-alive connection that broke says nothing of the upstream's health: it
    // may have closed it while idle (or just as the request came).
    if (reused && outcome.kind == FailureKind::broken) outcome.kind = FailureKind::stale_connection;
    return outcome;
  }
  response.status = answer.status;
  response.reason = std::move(answer.reason);
  response.headers =
      client_response_headers(answer.headers, answer.version, outgoing.method == "HEAD");
  response.body = std::move(answer.body);
  return {0,
          {},
          FailureKind::refused,
          head_arrived == Clock::time_point{} ? Clock::now() : head_arrived};
}

} // namespace flexilib::upstream
