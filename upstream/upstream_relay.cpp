// The relay: request out, head parsed in place, body passed on as it arrives, each
// turn doing what the sockets allow now and saying what it waits for.
#include "upstream/upstream_relay.hpp"

#include "server/socket_links.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>

namespace flexilib::upstream {

namespace {

using Clock = std::chrono::steady_clock;

iovec part(const void *data, size_t size) {
  return {const_cast<void *>(data), size};
}
iovec part(std::string_view text) {
  return part(text.data(), text.size());
}

// Drops `done` bytes from the front of `count` parts.
void consume(iovec *parts, size_t &count, size_t done) {
  size_t first = 0;
  while (first < count && done >= parts[first].iov_len) {
    done -= parts[first].iov_len;
    ++first;
  }
  if (first < count) {
    parts[first].iov_base = static_cast<char *>(parts[first].iov_base) + done;
    parts[first].iov_len -= done;
  }
  std::copy(parts + first, parts + count, parts);
  count -= first;
}

// Waits for `events` on `fd`; false when `timeout_ms` passed first or poll failed.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

// Sends every part to the upstream. The request nearly always goes out whole at once
// (an idle connection's socket is empty); a large body waits for room, each wait
// bounded by `timeout_ms` (timed_out set when one ran out).
bool send_upstream(int fd, iovec *parts, size_t count, int timeout_ms, bool &timed_out) {
  while (count > 0) {
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = count;
    const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!wait_for(fd, POLLOUT, timeout_ms)) {
        timed_out = true;
        return false;
      }
      continue;
    }
    consume(parts, count, size_t(sent));
  }
  return true;
}

// One read of what the upstream has now: >0 bytes, 0 its end, -1 nothing yet
// (EAGAIN), -2 a broken connection.
ssize_t receive_now(int fd, char *into, size_t size) {
  for (;;) {
    const ssize_t got = ::recv(fd, into, size, MSG_DONTWAIT);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2;
  }
}

std::string ms_text(int ms) {
  return std::to_string(ms) + " ms";
}

} // namespace

Relay::Relay(const UpstreamLimits &limits)
    : limits_(limits), buffer_(std::make_unique_for_overwrite<char[]>(limits.buffer_bytes)) {}

namespace {
std::mutex idle_relays_mutex;
std::vector<std::unique_ptr<Relay>> idle_relays; // idle_relays_mutex held
} // namespace

std::unique_ptr<Relay> Relay::take(const UpstreamLimits &limits) {
  std::unique_ptr<Relay> relay;
  {
    std::lock_guard lock(idle_relays_mutex);
    if (!idle_relays.empty()) {
      relay = std::move(idle_relays.back());
      idle_relays.pop_back();
    }
  }
  if (!relay || relay->limits_.buffer_bytes != limits.buffer_bytes)
    return std::make_unique<Relay>(limits);
  relay->limits_ = limits;
  return relay;
}

void Relay::give_back(std::unique_ptr<Relay> relay) {
  relay->socket_ = {};
  relay->result_ = {};
  std::lock_guard lock(idle_relays_mutex);
  if (idle_relays.size() < kept_idle) idle_relays.push_back(std::move(relay));
}

void Relay::fail(AttemptStage stage, int status, std::string cause) {
  result_.stage = stage;
  result_.failure_status = status;
  result_.failure = std::move(cause);
}

void Relay::cut(ClientSide &client, std::string cause) {
  fail(AttemptStage::broken_after_head, result_.timed_out ? 504 : 502, std::move(cause));
  client.close_after_response();
}

bool Relay::open(const UpstreamUrl &upstream, bool fresh_connection) {
  if (!fresh_connection) socket_ = UpstreamConnectionPool::shared().take(upstream);
  result_.reused_connection = bool(socket_);
  if (socket_) return true;
  Connected connected = connect_upstream(upstream, limits_.connect_ms);
  if (connected.error == ConnectError::timed_out) {
    result_.timed_out = true;
    fail(AttemptStage::connect_failed, 504,
         "no connection within UPSTREAM_CONNECT_TIMEOUT_MS (" + ms_text(limits_.connect_ms) + ")");
    return false;
  }
  if (!connected.socket) {
    fail(AttemptStage::connect_failed, 502, "connection refused or failed");
    return false;
  }
  socket_ = std::move(connected.socket);
  return true;
}

bool Relay::send_request(const UpstreamUrl &upstream, const OutgoingRequest &request) {
  const UpstreamRequestLine line{
      request.method, rewritten_target(request.target, request.path_prefix, upstream.path),
      upstream.host_and_port,
      request.has_body || !request.body.empty() ? std::optional<uint64_t>(request.body.size())
                                                : std::nullopt};
  upgrade_ = write_upstream_request_head(request_head_, line, request.headers, request.client);
  iovec parts[2] = {part(request_head_), part(request.body)};
  if (send_upstream(socket_.get(), parts, request.body.empty() ? 1 : 2, limits_.read_ms,
                    result_.timed_out))
    return true;
  fail(AttemptStage::send_failed, result_.timed_out ? 504 : 502,
       result_.timed_out ? "the request could not be sent within UPSTREAM_READ_TIMEOUT_MS (" +
                               ms_text(limits_.read_ms) + ")"
                         : "the request could not be sent (connection broken)");
  return false;
}

RelayWait Relay::start(const UpstreamUrl &upstream, const OutgoingRequest &request, ClientSide &,
                       bool fresh_connection, uint64_t owner) {
  upstream_ = &upstream;
  result_ = {};
  phase_ = Phase::over;
  head_request_ = request.method == "HEAD";
  upgrade_ = false;
  moved_ = false;
  filled_ = head_length_ = 0;
  remaining_ = 0;
  decoder_ = {};
  body_over_ = complete_ = head_offered_ = false;
  out_count_ = out_body_bytes_ = 0;
  if (!open(upstream, fresh_connection)) return finish();
  // Before the request goes: its answer's event must find this connection.
  if (socket_.link() != server::SocketLinks::none)
    server::SocketLinks::shared().own(socket_.link(), owner);
  if (!send_request(upstream, request)) return finish();
  phase_ = Phase::head;
  // The answer is not there yet: reading now would only find the socket empty.
  return RelayWait::upstream;
}

RelayWait Relay::resume(ClientSide &client, bool late) {
  moved_ = false;
  switch (phase_) {
  case Phase::head:
    return read_head(client, late);
  case Phase::body:
    return relay_body(client, late);
  case Phase::over:
    break;
  }
  return RelayWait::done;
}

void Relay::run_to_end(ClientSide &client) {
  RelayWait wait = phase_ == Phase::over ? RelayWait::done : RelayWait::upstream;
  while (wait != RelayWait::done) {
    const bool ready = wait == RelayWait::upstream
                           ? wait_for(socket_.get(), POLLIN, limits_.read_ms)
                           : client.wait_writable();
    wait = resume(client, !ready);
  }
}

// Reads until a final response head is whole; interim 1xx heads (100 Continue, 103
// Early Hints) are dropped, as they answer the upstream connection's request.
RelayWait Relay::read_head(ClientSide &client, bool late) {
  for (;;) {
    if (filled_ > 0) {
      const HeadParse parsed = parse_response_head({buffer_.get(), filled_}, head_request_,
                                                   max_upstream_header_fields, head_);
      if (parsed.length > 0 && !parsed.problem.empty()) {
        fail(AttemptStage::bad_answer, 502,
             "an invalid response head: " + std::string(parsed.problem));
        return finish();
      }
      if (parsed.length > 0 && head_.status < 200 && head_.status != 101) {
        std::memmove(buffer_.get(), buffer_.get() + parsed.length, filled_ - parsed.length);
        filled_ -= parsed.length;
        continue;
      }
      if (parsed.length > 0) {
        head_length_ = parsed.length;
        result_.head_arrived = Clock::now();
        if (head_.status == 101) {
          hand_over_upgrade(client);
          return finish();
        }
        begin_body(client);
        return relay_body(client, false);
      }
    }
    if (filled_ == limits_.buffer_bytes) {
      fail(AttemptStage::bad_answer, 502,
           "a response head over PROXY_BUFFER_KB (" + std::to_string(limits_.buffer_bytes >> 10) +
               " KiB)");
      return finish();
    }
    const ssize_t got =
        receive_now(socket_.get(), buffer_.get() + filled_, limits_.buffer_bytes - filled_);
    if (got > 0) {
      filled_ += size_t(got);
      moved_ = true;
      continue;
    }
    if (got == -1 && !(late && !moved_)) return RelayWait::upstream;
    if (got == -1) {
      result_.timed_out = true;
      fail(AttemptStage::no_answer, 504,
           "no response within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) + ")");
    } else {
      fail(AttemptStage::no_answer, 502, "the connection closed before a complete response head");
    }
    return finish();
  }
}

void Relay::begin_body(ClientSide &client) {
  phase_ = Phase::body;
  switch (head_.framing) {
  case BodyFraming::none:
    framing_ = ClientFraming::none;
    break;
  case BodyFraming::length:
    framing_ = ClientFraming::length;
    break;
  case BodyFraming::chunked:
  case BodyFraming::until_close:
    framing_ = client.accepts_chunked() ? ClientFraming::chunked : ClientFraming::until_close;
    break;
  }
  const bool keep_alive = client.keeps_alive() && framing_ != ClientFraming::until_close;
  // The client's head.
  std::string &out = client_head_;
  char status[4];
  std::to_chars(status, status + 3, head_.status);
  out.assign("HTTP/1.1 ").append(status, 3).append(" ").append(head_.reason).append("\r\n");
  append_client_response_fields(out, head_.fields, head_.connection_names, head_.version,
                                framing_ == ClientFraming::none, head_.status == 101);
  if (head_.status == 101) { // the connection's next bytes are the tunnel's
    out.append("\r\n");
    queue(nullptr, 0, true);
    return;
  }
  if (framing_ == ClientFraming::length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, head_.content_length).ptr;
    out.append("Content-Length: ").append(digits, size_t(end - digits)).append("\r\n");
  } else if (framing_ == ClientFraming::chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (!keep_alive)
    out.append("Connection: close\r\n");
  else if (!client.accepts_chunked()) // an HTTP/1.0 client that asked for keep-alive
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  if (!keep_alive) client.close_after_response();

  remaining_ = head_.content_length;
  take_body_bytes(head_length_, filled_);
}

// Queues for the client the body bytes at buffer_[begin, end), in its framing.
void Relay::take_body_bytes(size_t begin, size_t end) {
  char *bytes = buffer_.get() + begin;
  const size_t size = end - begin;
  switch (head_.framing) {
  case BodyFraming::none:
    queue(nullptr, 0, true);
    body_over_ = true;
    complete_ = size == 0;
    return;
  case BodyFraming::length: {
    const size_t taken = size_t(std::min<uint64_t>(remaining_, size));
    remaining_ -= taken;
    queue(bytes, taken, remaining_ == 0);
    if (remaining_ == 0) {
      body_over_ = true;
      complete_ = taken == size; // more than announced: not reusable
    }
    return;
  }
  case BodyFraming::chunked: {
    const ChunkedDecoder::Step step = decoder_.decode(bytes, size);
    if (decoder_.malformed()) return; // relay_body cuts it
    queue(bytes, step.data, decoder_.complete());
    if (decoder_.complete()) {
      body_over_ = true;
      complete_ = step.consumed == size; // bytes after it: not reusable
    }
    return;
  }
  case BodyFraming::until_close:
    queue(bytes, size, false);
    return;
  }
}

// Adds the head (until offered), `size` body bytes in the client's framing and, when
// `last`, the chunked body's end to what goes to the client.
void Relay::queue(const char *data, size_t size, bool last) {
  if (!head_offered_) {
    out_[out_count_++] = part(client_head_);
    head_offered_ = true;
    result_.client_bytes_sent = true;
  }
  const bool chunked = framing_ == ClientFraming::chunked;
  if (chunked && size > 0) {
    const auto end = std::to_chars(size_line_, size_line_ + 16, size, 16).ptr;
    std::memcpy(end, "\r\n", 2);
    out_[out_count_++] = part(size_line_, size_t(end + 2 - size_line_));
  }
  if (size > 0) out_[out_count_++] = part(data, size);
  static constexpr std::string_view data_end = "\r\n", body_end = "\r\n0\r\n\r\n";
  if (chunked && (size > 0 || last))
    out_[out_count_++] = part(last ? (size == 0 ? body_end.substr(2) : body_end) : data_end);
  out_body_bytes_ += size;
}

bool Relay::flush_to_client(ClientSide &client) {
  if (out_count_ == 0) return true;
  const ssize_t sent = client.send_now(out_, out_count_, head_.status, out_body_bytes_);
  out_body_bytes_ = 0;
  if (sent < 0) return false;
  if (sent > 0) moved_ = true;
  consume(out_, out_count_, size_t(sent));
  return true;
}

RelayWait Relay::relay_body(ClientSide &client, bool late) {
  for (;;) {
    if (decoder_.malformed()) {
      cut(client, "a malformed chunked body");
      return finish();
    }
    if (!flush_to_client(client)) {
      result_.client_gone = true;
      return finish();
    }
    if (out_count_ > 0) {
      if (!late || moved_) return RelayWait::client;
      result_.client_gone = result_.client_stalled = true;
      client.close_after_response();
      return finish();
    }
    if (body_over_) return finish();
    const size_t room = framing_ == ClientFraming::length
                            ? size_t(std::min<uint64_t>(remaining_, limits_.buffer_bytes))
                            : limits_.buffer_bytes;
    const ssize_t got = receive_now(socket_.get(), buffer_.get(), room);
    if (got > 0) {
      moved_ = true;
      take_body_bytes(0, size_t(got));
      continue;
    }
    if (got == 0 && head_.framing == BodyFraming::until_close) {
      queue(nullptr, 0, true); // the end of a close-delimited body: never reusable
      body_over_ = true;
      continue;
    }
    if (got == -1 && !(late && !moved_)) return RelayWait::upstream;
    if (got == -1) result_.timed_out = true;
    if (result_.timed_out)
      cut(client,
          "no body bytes within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) + ")");
    else if (head_.framing == BodyFraming::length)
      cut(client, "the connection closed " + std::to_string(remaining_) +
                      " bytes before the end of its Content-Length body");
    else
      cut(client, "the connection closed before the end of its chunked body");
    return finish();
  }
}

void Relay::hand_over_upgrade(ClientSide &client) {
  if (!upgrade_) {
    fail(AttemptStage::bad_answer, 502, "101 Switching Protocols to a request that asked for none");
    return;
  }
  begin_body(client); // writes the 101's head and queues it
  // The one place a relay waits for its client: the tunnel starts after the 101 is out.
  while (out_count_ > 0) {
    if (!flush_to_client(client) || (out_count_ > 0 && !client.wait_writable())) {
      result_.client_gone = true;
      return;
    }
  }
  const std::string_view early{buffer_.get() + head_length_, filled_ - head_length_};
  result_.upgraded = Upgraded{socket_.release(), std::string(early)};
}

RelayWait Relay::finish() {
  phase_ = Phase::over;
  if (socket_ && complete_ && head_.reusable && result_.failure_status == 0 &&
      !result_.client_gone && !result_.upgraded)
    UpstreamConnectionPool::shared().give_back(*upstream_, std::move(socket_));
  socket_ = {};
  return RelayWait::done;
}

} // namespace flexilib::upstream
