// A proxied request across turns: attempts, the retry, health, the client's socket.
#include "targets/relay_in_flight.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "http/case_insensitive.hpp"
#include "targets/exchange.hpp"
#include "upstream/retry_policy.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

namespace flexilib::targets {

namespace {

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

using Progress = server::ParkedExchange::Progress;

Progress progress_of(upstream::RelayWait wait) {
  return wait == upstream::RelayWait::client ? Progress::waiting_client
                                             : Progress::waiting_upstream;
}

} // namespace

RelayInFlight::RelayInFlight(const upstream::UpstreamGroup &group,
                             const upstream::UpstreamLimits &limits, const Exchange &exchange)
    : group_(group), limits_(limits), connection_(exchange.connection),
      http_1_1_(exchange.request.version == "HTTP/1.1"),
      // cpp-httplib's own rule, which decides whether the connection stays open.
      keeps_alive_(exchange.request.get_header_value("Connection") != "close" &&
                   (http_1_1_ || exchange.request.get_header_value("Connection") == "Keep-Alive")),
      relay_(upstream::Relay::take(limits)), outgoing_{exchange.request.method,
                                                       exchange.request.target,
                                                       exchange.path_prefix,
                                                       {exchange.headers, exchange.header_count},
                                                       {exchange.connection.peer_ip,
                                                        exchange.request.version},
                                                       exchange.body,
                                                       frames_body(exchange)},
      method_(exchange.request.method), target_(exchange.request.target) {
  outgoing_.method = method_;
  outgoing_.target = target_;
}

RelayInFlight::~RelayInFlight() {
  upstream::Relay::give_back(std::move(relay_));
}

const std::string &RelayInFlight::upstream_text() const {
  return group_.member(index_).url.text;
}

Progress RelayInFlight::begin() {
  index_ = group_.pick(now_ticks());
  return attempt(false);
}

Progress RelayInFlight::attempt(bool retry) {
  retried_ = retry;
  const upstream::GroupMember &member = group_.member(index_);
  member.server->count_attempt(retry);
  attempt_started_ = Clock::now();
  // A retry never takes a pooled connection: it could be as stale as the last one.
  return settle(relay_->start(member.url, outgoing_, *this, retry, connection_.ticket));
}

// After each step of an attempt: when it is over, its figures and health, and the
// retry when retry_policy allows.
Progress RelayInFlight::settle(upstream::RelayWait wait) {
  if (wait != upstream::RelayWait::done) return progress_of(wait);
  const upstream::GroupMember &member = group_.member(index_);
  const upstream::AttemptResult &result = relay_->result();
  if (result.failure_status == 0) {
    if (result.head_arrived != Clock::time_point{})
      member.server->count_answer(result.head_arrived - attempt_started_);
    return Progress::done;
  }
  const upstream::AttemptFailure failure = failure_of(result);
  member.server->count_failure(failure.kind, now_ticks(), group_.fail_timeout());
  if (retried_ || !upstream::should_retry(method_, failure)) return answer_error();
  const size_t next = group_.pick_retry(index_, now_ticks());
  diagnostics::write_diagnostic(
      "upstream " + member.url.text + ": " + result.failure + " (" + method_ + " " + target_ +
      "), retried " +
      (next == index_ ? "on a new connection" : "on " + group_.member(next).url.text));
  index_ = next;
  return attempt(true);
}

Progress RelayInFlight::run_to_end() {
  for (;;) {
    relay_->run_to_end(*this);
    const Progress progress = settle(upstream::RelayWait::done);
    if (progress == Progress::done) return progress;
  }
}

void RelayInFlight::keep_request() {
  parked_ = true;
  // Only an idempotent request is sent again once it has reached the upstream.
  if (!upstream::is_idempotent(method_) || retried_) {
    outgoing_.headers = {};
    outgoing_.body = {};
    outgoing_.path_prefix = {};
    outgoing_.client = {};
    return;
  }
  KeptRequest &kept = kept_;
  kept.path_prefix.assign(outgoing_.path_prefix);
  kept.version.assign(outgoing_.client.http_version);
  kept.body.assign(outgoing_.body);
  size_t size = 0;
  for (const flexilib_header &header : outgoing_.headers)
    size += header.name_len + header.value_len;
  kept.fields.clear();
  kept.fields.reserve(size);
  kept.headers.assign(outgoing_.headers.begin(), outgoing_.headers.end());
  for (flexilib_header &header : kept.headers) {
    const size_t at = kept.fields.size();
    kept.fields.append(header.name_ptr, header.name_len).append(header.value_ptr, header.value_len);
    header.name_ptr = kept.fields.data() + at;
    header.value_ptr = header.name_ptr + header.name_len;
  }
  outgoing_.path_prefix = kept.path_prefix;
  outgoing_.client.http_version = kept.version;
  outgoing_.body = kept.body;
  outgoing_.headers = kept.headers;
}

Progress RelayInFlight::resume(server::Connection &, bool late) {
  return settle(relay_->resume(*this, late));
}

bool RelayInFlight::report_failure() const {
  const upstream::AttemptResult &result = relay_->result();
  if (result.failure_status == 0) return false;
  const std::string what = "upstream " + upstream_text() + ": " + result.failure + " (" + method_ +
                           " " + target_ + "), ";
  if (result.client_bytes_sent) {
    diagnostics::write_diagnostic(what + "the client's connection was cut");
    return false;
  }
  diagnostics::write_diagnostic(what + "answered " + std::to_string(result.failure_status));
  return true;
}

// The request failed with nothing sent. On its first turn cpp-httplib writes the
// error response (upstream_target); on a later one it is written here, whole.
Progress RelayInFlight::answer_error() {
  if (!parked_) return Progress::done;
  if (!report_failure()) return Progress::done;
  const int failure = relay_->result().failure_status;
  const std::string_view text = failure == 504
                                    ? "504 Gateway Timeout: the upstream did not answer in time\n"
                                    : "502 Bad Gateway: the upstream cannot be reached\n";
  std::string response =
      failure == 504 ? "HTTP/1.1 504 Gateway Timeout\r\n" : "HTTP/1.1 502 Bad Gateway\r\n";
  response.append("Content-Type: text/plain\r\nContent-Length: ")
      .append(std::to_string(text.size()))
      .append(keeps_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
      .append(text);
  if (!keeps_alive_) close_after_ = true;
  const iovec whole{response.data(), response.size()};
  // An error page fits an empty socket; if the client's is full, it is closed.
  if (send_now(&whole, 1, failure, text.size()) != ssize_t(response.size())) close_after_ = true;
  return Progress::done;
}

ssize_t RelayInFlight::send_now(const iovec *parts, size_t count, int status, size_t body_bytes) {
  if (status_ == 0) status_ = status;
  body_bytes_ += body_bytes;
  msghdr message{};
  message.msg_iov = const_cast<iovec *>(parts);
  message.msg_iovlen = count;
  for (;;) {
    const ssize_t sent = ::sendmsg(connection_.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    close_after_ = true;
    return -1;
  }
}

bool RelayInFlight::wait_writable() {
  pollfd entry{connection_.fd, POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, limits_.read_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

} // namespace flexilib::targets
