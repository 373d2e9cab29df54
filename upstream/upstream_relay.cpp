// The relay: request out, head parsed in place, body passed on as it arrives.
#include "upstream/upstream_relay.hpp"

#include "upstream/chunked_decoder.hpp"
#include "upstream/upstream_response_head.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <vector>

namespace flexilib::upstream {

namespace {

using Clock = std::chrono::steady_clock;

// What a thread reuses from one relayed request to the next: no request allocates.
struct ThreadScratch {
  std::string request_head;
  std::string response_head;
  std::vector<char> buffer;
  ResponseHead head;
};

ThreadScratch &scratch(size_t buffer_bytes) {
  thread_local ThreadScratch scratch;
  if (scratch.buffer.size() != buffer_bytes) {
    scratch.buffer.assign(buffer_bytes, 0);
    scratch.buffer.shrink_to_fit();
  }
  return scratch;
}

iovec part(const void *data, size_t size) {
  return {const_cast<void *>(data), size};
}
iovec part(std::string_view text) {
  return part(text.data(), text.size());
}

// Waits for `events` on `fd`; false when `timeout_ms` passed first (timed_out set)
// or poll failed.
bool wait_for(int fd, short events, int timeout_ms, bool &timed_out) {
  pollfd entry{fd, events, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  timed_out = ready == 0;
  return ready > 0;
}

// Sends every part to the upstream.
bool send_upstream(int fd, iovec *parts, size_t count, int timeout_ms, bool &timed_out) {
  while (count > 0) {
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = count;
    const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!wait_for(fd, POLLOUT, timeout_ms, timed_out)) return false;
      continue;
    }
    size_t left = size_t(sent);
    while (count > 0 && left >= parts->iov_len) {
      left -= parts->iov_len;
      ++parts;
      --count;
    }
    if (count > 0) {
      parts->iov_base = static_cast<char *>(parts->iov_base) + left;
      parts->iov_len -= left;
    }
  }
  return true;
}

// Receives what the upstream has, waiting for it when there is nothing yet (or
// first, when `wait_first`: an answer just asked for is not there yet). >0: bytes,
// 0: the upstream closed, -1: an error or the timeout (timed_out set).
ssize_t receive_upstream(int fd, char *into, size_t size, int timeout_ms, bool &timed_out,
                         bool wait_first = false) {
  if (wait_first && !wait_for(fd, POLLIN, timeout_ms, timed_out)) return -1;
  for (;;) {
    const ssize_t got = ::recv(fd, into, size, 0);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!wait_for(fd, POLLIN, timeout_ms, timed_out)) return -1;
  }
}

std::string ms_text(int ms) {
  return std::to_string(ms) + " ms";
}

// How the body goes to the client.
enum class ClientFraming { none, length, chunked, until_close };

ClientFraming client_framing(const ResponseHead &head, const ClientSide &client) {
  switch (head.framing) {
  case BodyFraming::none:
    return ClientFraming::none;
  case BodyFraming::length:
    return ClientFraming::length;
  case BodyFraming::chunked:
  case BodyFraming::until_close:
    break;
  }
  return client.accepts_chunked() ? ClientFraming::chunked : ClientFraming::until_close;
}

// Writes the head the client gets into `out`.
void write_client_head(std::string &out, const ResponseHead &head, ClientFraming framing,
                       bool keep_alive, bool accepts_chunked) {
  char status[4];
  std::to_chars(status, status + 3, head.status);
  out.assign("HTTP/1.1 ").append(status, 3).append(" ").append(head.reason).append("\r\n");
  const bool keep_content_length = framing == ClientFraming::none;
  append_client_response_fields(out, head.fields, head.connection_names, head.version,
                                keep_content_length, head.status == 101);
  if (head.status == 101) {
    out.append("\r\n");
    return;
  }
  if (framing == ClientFraming::length) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, head.content_length).ptr;
    out.append("Content-Length: ").append(digits, size_t(end - digits)).append("\r\n");
  } else if (framing == ClientFraming::chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (!keep_alive)
    out.append("Connection: close\r\n");
  else if (!accepts_chunked) // an HTTP/1.0 client that asked for keep-alive
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
}

// Sends the client what is ready: the head (until sent), body data in the client's
// framing, and the chunked body's end.
class ClientWriter {
public:
  ClientWriter(ClientSide &client, int status, std::string_view head, ClientFraming framing)
      : client_(client), status_(status), head_(head), framing_(framing) {}

  bool send(std::string_view data, bool last) {
    iovec parts[4];
    size_t count = 0;
    if (!head_.empty()) parts[count++] = part(head_);
    char size_line[20];
    const bool chunked = framing_ == ClientFraming::chunked;
    if (chunked && !data.empty()) {
      const auto end = std::to_chars(size_line, size_line + 16, data.size(), 16).ptr;
      std::memcpy(end, "\r\n", 2);
      parts[count++] = part(size_line, size_t(end + 2 - size_line));
    }
    if (!data.empty()) parts[count++] = part(data);
    static constexpr std::string_view data_end = "\r\n", body_end = "\r\n0\r\n\r\n";
    if (chunked && (!data.empty() || last))
      parts[count++] = part(last ? (data.empty() ? body_end.substr(2) : body_end) : data_end);
    if (count == 0) return true;
    head_ = {};
    sent_any_ = true;
    return client_.send(parts, count, status_, data.size());
  }
  bool sent_any() const { return sent_any_; }

private:
  ClientSide &client_;
  int status_;
  std::string_view head_;
  ClientFraming framing_;
  bool sent_any_ = false;
};

class Attempt {
public:
  Attempt(const UpstreamUrl &upstream, const OutgoingRequest &request, const UpstreamLimits &limits,
          ClientSide &client)
      : upstream_(upstream), request_(request), limits_(limits), client_(client),
        scratch_(scratch(limits.buffer_bytes)), head_request_(request.method == "HEAD") {}

  AttemptResult run(bool fresh_connection);

private:
  bool open(bool fresh_connection);
  bool send_request();
  bool read_head();
  void relay_body();
  bool relay_length(ClientWriter &writer, std::string_view first);
  bool relay_chunked(ClientWriter &writer, size_t begin, size_t end);
  bool relay_until_close(ClientWriter &writer, std::string_view first);
  void hand_over_upgrade();

  void fail(AttemptStage stage, int status, std::string cause) {
    result_.stage = stage;
    result_.failure_status = status;
    result_.failure = std::move(cause);
  }
  // Reads the next bytes of the body into the buffer; false (and the failure noted)
  // when the upstream stops before the body's end.
  ssize_t receive_body(size_t size);
  void cut(std::string cause) {
    fail(AttemptStage::broken_after_head, result_.timed_out ? 504 : 502, std::move(cause));
    client_.close_after_response();
  }
  bool client_refused() {
    result_.client_gone = true;
    return false;
  }

  const UpstreamUrl &upstream_;
  const OutgoingRequest &request_;
  const UpstreamLimits &limits_;
  ClientSide &client_;
  ThreadScratch &scratch_;
  const bool head_request_;
  bool upgrade_ = false;
  UniqueFd socket_;
  AttemptResult result_;
  size_t filled_ = 0;      // buffer bytes received
  size_t head_length_ = 0; // of them, the final response head's
  bool reusable_ = false;  // the upstream connection may serve another request
};

bool Attempt::open(bool fresh_connection) {
  UpstreamConnectionPool &pool = UpstreamConnectionPool::of_this_thread();
  if (!fresh_connection) socket_ = pool.take(upstream_);
  result_.reused_connection = bool(socket_);
  if (socket_) return true;
  Connected connected = connect_upstream(upstream_, limits_.connect_ms);
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

bool Attempt::send_request() {
  std::string &head = scratch_.request_head;
  const UpstreamRequestLine line{
      request_.method, rewritten_target(request_.target, request_.path_prefix, upstream_.path),
      upstream_.host_and_port,
      request_.has_body || !request_.body.empty() ? std::optional<uint64_t>(request_.body.size())
                                                  : std::nullopt};
  upgrade_ = write_upstream_request_head(head, line, request_.headers, request_.client);
  iovec parts[2] = {part(head), part(request_.body)};
  if (send_upstream(socket_.get(), parts, request_.body.empty() ? 1 : 2, limits_.read_ms,
                    result_.timed_out))
    return true;
  fail(AttemptStage::send_failed, result_.timed_out ? 504 : 502,
       result_.timed_out ? "the request could not be sent within UPSTREAM_READ_TIMEOUT_MS (" +
                               ms_text(limits_.read_ms) + ")"
                         : "the request could not be sent (connection broken)");
  return false;
}

// Reads until a final response head is whole; interim 1xx heads (100 Continue, 103
// Early Hints) are dropped, as they answer the upstream connection's request.
bool Attempt::read_head() {
  std::vector<char> &buffer = scratch_.buffer;
  ResponseHead &head = scratch_.head;
  for (;;) {
    const HeadParse parsed = parse_response_head({buffer.data(), filled_}, head_request_,
                                                 max_upstream_header_fields, head);
    if (parsed.length > 0 && !parsed.problem.empty()) {
      fail(AttemptStage::bad_answer, 502,
           "an invalid response head: " + std::string(parsed.problem));
      return false;
    }
    if (parsed.length > 0 && head.status < 200 && head.status != 101) {
      std::memmove(buffer.data(), buffer.data() + parsed.length, filled_ - parsed.length);
      filled_ -= parsed.length;
      continue;
    }
    if (parsed.length > 0) {
      head_length_ = parsed.length;
      result_.head_arrived = Clock::now();
      return true;
    }
    if (filled_ == buffer.size()) {
      fail(AttemptStage::bad_answer, 502,
           "a response head over PROXY_BUFFER_KB (" + std::to_string(buffer.size() >> 10) +
               " KiB)");
      return false;
    }
    const ssize_t got =
        receive_upstream(socket_.get(), buffer.data() + filled_, buffer.size() - filled_,
                         limits_.read_ms, result_.timed_out, filled_ == 0);
    if (got > 0) {
      filled_ += size_t(got);
      continue;
    }
    if (result_.timed_out)
      fail(AttemptStage::no_answer, 504,
           "no response within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) + ")");
    else
      fail(AttemptStage::no_answer, 502, "the connection closed before a complete response head");
    return false;
  }
}

ssize_t Attempt::receive_body(size_t size) {
  return receive_upstream(socket_.get(), scratch_.buffer.data(), size, limits_.read_ms,
                          result_.timed_out);
}

bool Attempt::relay_length(ClientWriter &writer, std::string_view first) {
  uint64_t remaining = scratch_.head.content_length;
  const bool extra = first.size() > remaining; // more than announced: not reusable
  if (extra) first = first.substr(0, size_t(remaining));
  remaining -= first.size();
  if (!writer.send(first, remaining == 0)) return client_refused();
  while (remaining > 0) {
    const ssize_t got = receive_body(size_t(std::min<uint64_t>(remaining, scratch_.buffer.size())));
    if (got <= 0) {
      cut(result_.timed_out
              ? "no body bytes within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) + ")"
              : "the connection closed " + std::to_string(remaining) +
                    " bytes before the end of its Content-Length body");
      return false;
    }
    remaining -= uint64_t(got);
    if (!writer.send({scratch_.buffer.data(), size_t(got)}, remaining == 0))
      return client_refused();
  }
  return !extra;
}

bool Attempt::relay_chunked(ClientWriter &writer, size_t begin, size_t end) {
  ChunkedDecoder decoder;
  char *buffer = scratch_.buffer.data();
  for (;;) {
    const ChunkedDecoder::Step step = decoder.decode(buffer + begin, end - begin);
    if (decoder.malformed()) {
      cut("a malformed chunked body");
      return false;
    }
    if (!writer.send({buffer + begin, step.data}, decoder.complete())) return client_refused();
    if (decoder.complete()) return step.consumed == end - begin; // bytes after it: not reusable
    const ssize_t got = receive_body(scratch_.buffer.size());
    if (got <= 0) {
      cut(result_.timed_out
              ? "no body bytes within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) + ")"
              : "the connection closed before the end of its chunked body");
      return false;
    }
    begin = 0;
    end = size_t(got);
  }
}

bool Attempt::relay_until_close(ClientWriter &writer, std::string_view first) {
  if (!first.empty() && !writer.send(first, false)) return client_refused();
  for (;;) {
    const ssize_t got = receive_body(scratch_.buffer.size());
    if (got == 0) return writer.send({}, true) ? false : client_refused(); // never reusable
    if (got < 0) {
      cut("no body bytes within UPSTREAM_READ_TIMEOUT_MS (" + ms_text(limits_.read_ms) +
          ") or a broken connection");
      return false;
    }
    if (!writer.send({scratch_.buffer.data(), size_t(got)}, false)) return client_refused();
  }
}

void Attempt::relay_body() {
  const ResponseHead &head = scratch_.head;
  const ClientFraming framing = client_framing(head, client_);
  const bool keep_alive = client_.keeps_alive() && framing != ClientFraming::until_close;
  write_client_head(scratch_.response_head, head, framing, keep_alive, client_.accepts_chunked());
  if (!keep_alive) client_.close_after_response();
  ClientWriter writer(client_, head.status, scratch_.response_head, framing);
  const std::string_view first{scratch_.buffer.data() + head_length_, filled_ - head_length_};
  bool complete = false;
  switch (head.framing) {
  case BodyFraming::none:
    complete = writer.send({}, true) ? first.empty() : client_refused();
    break;
  case BodyFraming::length:
    complete = relay_length(writer, first);
    break;
  case BodyFraming::chunked:
    complete = relay_chunked(writer, head_length_, filled_);
    break;
  case BodyFraming::until_close:
    complete = relay_until_close(writer, first);
    break;
  }
  result_.client_bytes_sent = writer.sent_any();
  reusable_ = complete && head.reusable;
}

void Attempt::hand_over_upgrade() {
  if (!upgrade_) {
    fail(AttemptStage::bad_answer, 502, "101 Switching Protocols to a request that asked for none");
    return;
  }
  const ResponseHead &head = scratch_.head;
  write_client_head(scratch_.response_head, head, ClientFraming::none, true, true);
  const std::string_view early{scratch_.buffer.data() + head_length_, filled_ - head_length_};
  iovec parts[1] = {part(scratch_.response_head)};
  result_.client_bytes_sent = true;
  if (!client_.send(parts, 1, 101, 0)) {
    result_.client_gone = true;
    return;
  }
  result_.upgraded = Upgraded{std::move(socket_), std::string(early)};
}

AttemptResult Attempt::run(bool fresh_connection) {
  if (!open(fresh_connection) || !send_request() || !read_head()) return std::move(result_);
  if (scratch_.head.status == 101) {
    hand_over_upgrade();
    return std::move(result_);
  }
  relay_body();
  if (reusable_) UpstreamConnectionPool::of_this_thread().give_back(upstream_, std::move(socket_));
  return std::move(result_);
}

} // namespace

AttemptResult relay_attempt(const UpstreamUrl &upstream, const OutgoingRequest &request,
                            const UpstreamLimits &limits, ClientSide &client,
                            bool fresh_connection) {
  return Attempt(upstream, request, limits, client).run(fresh_connection);
}

} // namespace flexilib::upstream
