// A proxied request from its first attempt to the end of its answer, as one object
// that can wait with its connection (server::ParkedExchange) between turns: the
// attempt (upstream/upstream_relay), the one retry on another upstream or a fresh
// connection (upstream/retry_policy), health and figures for each attempt, and the
// client's side of the relay over the client's socket, written without waiting. A
// request that must wait for its upstream or its client keeps here what a retry
// needs (the request, copied when it parks) and what the log needs.
#pragma once

#include "server/connection.hpp"
#include "server/parked_exchange.hpp"
#include "upstream/upstream_group.hpp"
#include "upstream/upstream_relay.hpp"

#include <string>
#include <vector>

namespace flexilib::targets {

struct Exchange;

class RelayInFlight final : public server::ParkedExchange, private upstream::ClientSide {
public:
  RelayInFlight(const upstream::UpstreamGroup &group, const upstream::UpstreamLimits &limits,
                const Exchange &exchange);
  ~RelayInFlight() override;
  RelayInFlight(const RelayInFlight &) = delete;
  RelayInFlight &operator=(const RelayInFlight &) = delete;

  // The first attempt, on the thread serving the request: the request goes out and
  // whatever can be relayed now is.
  Progress begin();
  // Runs to the end on this thread, waiting in poll() (an upgrade's handshake).
  Progress run_to_end();
  // The request is about to park: what a retry would send is copied, as the
  // request's own memory lasts only for this turn.
  void keep_request();

  bool upgrade_requested() const { return relay_->upgrade_requested(); }
  upstream::AttemptResult &result() { return relay_->result(); }
  // The upstream of the last attempt ("http://127.0.0.1:3000"), for log lines.
  const std::string &upstream_text() const;
  // A line on stderr for a failed request (the last attempt's cause), and whether the
  // client is owed an error response (nothing of the answer reached it).
  bool report_failure() const;

  // server::ParkedExchange
  Progress resume(server::Connection &connection, bool late) override;
  bool moved() const override { return relay_->moved(); }
  int upstream_wait_limit_ms() const override { return limits_.read_ms; }
  int status() const override { return status_; }
  size_t body_bytes() const override { return body_bytes_; }
  Clock::time_point response_ready() const override { return relay_->result().head_arrived; }
  bool closes_connection() const override { return close_after_; }
  bool client_stalled() const override { return relay_->result().client_stalled; }

private:
  // upstream::ClientSide, over the client's socket
  bool accepts_chunked() const override { return http_1_1_; }
  bool keeps_alive() const override { return keeps_alive_; }
  ssize_t send_now(const iovec *parts, size_t count, int status, size_t body_bytes) override;
  bool wait_writable() override;
  void close_after_response() override { close_after_ = true; }

  Progress attempt(bool retry);
  Progress settle(upstream::RelayWait wait);
  Progress answer_error();

  const upstream::UpstreamGroup &group_;
  const upstream::UpstreamLimits limits_;
  server::Connection &connection_;
  const bool http_1_1_;
  const bool keeps_alive_;
  std::unique_ptr<upstream::Relay> relay_; // reused (Relay::take)
  upstream::OutgoingRequest outgoing_;     // views: the exchange's, or kept_'s once parked
  std::string method_, target_;            // for log lines
  size_t index_ = 0;                       // the group member of the current attempt
  bool retried_ = false;
  Clock::time_point attempt_started_{};
  bool parked_ = false; // resumed on a later turn: an error page is written here

  struct KeptRequest {
    std::string path_prefix, version, fields, body;
    std::vector<flexilib_header> headers;
  } kept_;

  int status_ = 0;
  size_t body_bytes_ = 0;
  bool close_after_ = false;
};

} // namespace flexilib::targets
