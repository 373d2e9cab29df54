// One attempt at a proxied request, as a state machine that never waits: the request
// goes out over ONE upstream connection (a pooled keep-alive one unless asked for a
// fresh one), and each later turn relays what has arrived, through one buffer of
// PROXY_BUFFER_KB: the head as soon as it is whole, the body chunk by chunk. When
// there is nothing to read, or the client's socket is full, the relay says what it
// waits for and returns; the caller parks it (the upstream socket is in the serving
// threads' epoll set: server/socket_links) and resumes it when that socket or the
// client's becomes ready. The upstream is not read while the client holds bytes
// back (TCP pushes back on it): the memory of a relayed response never grows with
// its body.
//
// Which upstream, retries and what follows a 101 are the caller's
// (targets/relay_in_flight, targets/upstream_target).
#pragma once

#include "upstream/chunked_decoder.hpp"
#include "upstream/client_side.hpp"
#include "upstream/forwarded_headers.hpp"
#include "upstream/upstream_connection_pool.hpp"
#include "upstream/upstream_response_head.hpp"
#include "upstream/upstream_url.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::upstream {

struct UpstreamLimits {
  int connect_ms = 0;          // UPSTREAM_CONNECT_TIMEOUT_MS
  int read_ms = 0;             // UPSTREAM_READ_TIMEOUT_MS: each wait for bytes, and each send
  size_t buffer_bytes = 65536; // PROXY_BUFFER_KB: the relay's one buffer, head included
};

// The request as the client sent it; the attempt writes the head for its upstream
// (the target rewritten for the URL's path, fields filtered: forwarded_headers).
struct OutgoingRequest {
  std::string_view method;
  std::string_view target;      // as sent
  std::string_view path_prefix; // the matched rule's, replaced by the URL's path
  std::span<const flexilib_header> headers;
  ClientFacts client;
  std::string_view body; // in memory, so that another attempt can send it again
  bool has_body = false; // a body is framed (Content-Length or chunked), even empty
};

// How far an attempt got before it failed.
enum class AttemptStage {
  connect_failed,    // no connection: nothing reached the upstream
  send_failed,       // the request could not be sent whole
  no_answer,         // no (complete) response head came back
  bad_answer,        // the head came back refused: malformed, too large, too many fields
  broken_after_head, // the body stopped short: the client's connection is cut
  answered           // the response went to the client whole (or the client left)
};

// The upstream answered 101: its connection, for the caller's tunnel.
struct Upgraded {
  UniqueFd upstream;
  std::string early_bytes; // what the upstream sent past the 101 head, for the client
};

struct AttemptResult {
  int failure_status = 0; // 0, or 502/504 for the log and, if nothing was sent, the client
  std::string failure;    // the cause, for the log line
  AttemptStage stage = AttemptStage::answered;
  bool reused_connection = false; // it ran on a pooled connection (stale ones fail so)
  bool client_bytes_sent = false; // the client has bytes of the answer: no retry, no error page
  bool client_gone = false;       // the client stopped reading or went away
  bool client_stalled = false;    // of which: it read nothing for WRITE_TIMEOUT_MS
  bool timed_out = false;         // a wait reached its timeout
  std::chrono::steady_clock::time_point head_arrived{}; // ttfb; unset when none came
  std::optional<Upgraded> upgraded;
};

// What a relay waits for when a turn returns.
enum class RelayWait : uint8_t {
  done,     // the attempt is over: result() says how
  upstream, // bytes from the upstream (its socket's input)
  client,   // room in the client's socket
};

class Relay {
public:
  explicit Relay(const UpstreamLimits &limits);
  Relay(const Relay &) = delete;
  Relay &operator=(const Relay &) = delete;

  // A relay for one request, reused: the buffer and the heads' strings of one that
  // served an earlier request (on any thread), so that a request neither allocates
  // nor clears PROXY_BUFFER_KB. give_back() keeps up to `kept_idle` of them.
  static std::unique_ptr<Relay> take(const UpstreamLimits &limits);
  static void give_back(std::unique_ptr<Relay> relay);
  static constexpr size_t kept_idle = 64;

  // Begins an attempt: takes a pooled connection (unless `fresh_connection`) or opens
  // one, and sends the request. `owner`: the client connection's ticket, which the
  // upstream socket's events name while this relay uses it. `request` need only
  // live through this call.
  RelayWait start(const UpstreamUrl &upstream, const OutgoingRequest &request, ClientSide &client,
                  bool fresh_connection, uint64_t owner);
  // A turn after an event: relays what it can. `late`: the caller's clock says the
  // wait has lasted past its limit (UPSTREAM_READ_TIMEOUT_MS for the upstream,
  // WRITE_TIMEOUT_MS for the client); the relay gives up if nothing moves now.
  RelayWait resume(ClientSide &client, bool late);
  // Runs the attempt to its end on this thread, waiting in poll() for each socket.
  void run_to_end(ClientSide &client);

  // Bytes moved during the last turn (the caller restarts its inactivity clock).
  bool moved() const { return moved_; }
  // The request asked to switch protocols (Connection: upgrade).
  bool upgrade_requested() const { return upgrade_; }
  int upstream_fd() const { return socket_.get(); }
  const AttemptResult &result() const { return result_; }
  AttemptResult &result() { return result_; }

private:
  enum class Phase : uint8_t { head, body, over };
  enum class ClientFraming : uint8_t { none, length, chunked, until_close };

  bool open(const UpstreamUrl &upstream, bool fresh_connection);
  bool send_request(const UpstreamUrl &upstream, const OutgoingRequest &request);
  RelayWait read_head(ClientSide &client, bool late);
  RelayWait relay_body(ClientSide &client, bool late);
  void begin_body(ClientSide &client);
  void take_body_bytes(size_t begin, size_t end);
  void queue(const char *data, size_t size, bool last);
  bool flush_to_client(ClientSide &client); // false: the client is gone
  void hand_over_upgrade(ClientSide &client);
  void fail(AttemptStage stage, int status, std::string cause);
  void cut(ClientSide &client, std::string cause);
  RelayWait finish();

  UpstreamLimits limits_;
  std::unique_ptr<char[]> buffer_; // limits_.buffer_bytes, never cleared: bytes are read into it
  std::string request_head_;
  std::string client_head_;
  ResponseHead head_;
  const UpstreamUrl *upstream_ = nullptr;
  UpstreamSocket socket_;
  AttemptResult result_;
  Phase phase_ = Phase::over;
  ClientFraming framing_ = ClientFraming::none;
  bool head_request_ = false;
  bool upgrade_ = false;
  bool moved_ = false;
  size_t filled_ = 0;      // buffer bytes received
  size_t head_length_ = 0; // of them, the final response head's
  uint64_t remaining_ = 0; // of a Content-Length body
  ChunkedDecoder decoder_;
  bool body_over_ = false; // the body's end has been queued for the client
  bool complete_ = false;  // it ended as framed, nothing after it: the connection is reusable
  // What the client's socket has not taken yet: parts pointing into client_head_,
  // buffer_, size_line_ and constants.
  iovec out_[4]{};
  size_t out_count_ = 0;
  size_t out_body_bytes_ = 0; // body bytes in out_ not yet reported to the client side
  char size_line_[20]{};
  bool head_offered_ = false;
};

// Response heads with more fields are refused (502).
constexpr size_t max_upstream_header_fields = 1000;

} // namespace flexilib::upstream
