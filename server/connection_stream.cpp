// Socket reads and writes for one connection, buffered per serving thread.
#include "server/connection_stream.hpp"

#include <cerrno>
#include <charconv>
#include <poll.h>
#include <sys/socket.h>

namespace flexilib::server {

namespace {
constexpr size_t flush_threshold = 64 * 1024; // a large body goes out while it is written
}

bool ConnectionStream::wait_for(short events, int timeout_ms) const {
  pollfd entry{connection_.fd, events, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

ssize_t ConnectionStream::receive(char *ptr, size_t size) {
  for (;;) {
    ssize_t got = ::recv(connection_.fd, ptr, size, 0);
    connection_.more_input = got > 0 && size_t(got) == size;
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -1;
    if (!wait_for(POLLIN, timeouts_.read_ms)) {
      read_timed_out_ = true;
      return -1;
    }
  }
}

bool ConnectionStream::fill_without_waiting() {
  auto &input = buffers_.input;
  if (buffers_.begin > 0) { // make room: unread bytes move to the front
    std::copy(input.begin() + long(buffers_.begin), input.begin() + long(buffers_.end),
              input.begin());
    buffers_.end -= buffers_.begin;
    buffers_.begin = 0;
  }
  if (buffers_.end == input.size()) { // full: the caller decides
    connection_.more_input = true;
    return true;
  }
  // One read, not one more to see EAGAIN: a read that leaves room in the buffer has
  // taken all there was (Connection::more_input).
  const size_t room = input.size() - buffers_.end;
  ssize_t got;
  do {
    got = ::recv(connection_.fd, input.data() + buffers_.end, room, MSG_DONTWAIT);
  } while (got < 0 && errno == EINTR);
  connection_.more_input = got > 0 && size_t(got) == room;
  if (got > 0) buffers_.end += size_t(got);
  if (got == 0) return false;
  return got > 0 || errno == EAGAIN;
}

bool ConnectionStream::is_readable() const {
  return buffers_.begin != buffers_.end || wait_for(POLLIN, timeouts_.read_ms);
}

bool ConnectionStream::is_writable() const {
  return !failed_;
}

ssize_t ConnectionStream::read(char *ptr, size_t size) {
  if (body_too_large_) return -1;
  ssize_t got;
  if (buffers_.begin == buffers_.end && size >= buffers_.input.size()) {
    got = receive(ptr, size); // a large read (a body) goes straight to the caller
  } else {
    if (buffers_.begin == buffers_.end) {
      buffers_.begin = buffers_.end = 0;
      const ssize_t filled = receive(buffers_.input.data(), buffers_.input.size());
      if (filled <= 0) return filled;
      buffers_.end = size_t(filled);
    }
    const size_t count = std::min(size, buffers_.end - buffers_.begin);
    std::copy_n(buffers_.input.data() + buffers_.begin, count, ptr);
    buffers_.begin += count;
    got = ssize_t(count);
  }
  if (got > 0 && !meter_body({ptr, size_t(got)})) return -1;
  return got;
}

// Feeds what cpp-httplib read past the head to the chunked-body meter, if any.
bool ConnectionStream::meter_body(std::string_view bytes) {
  const size_t head_part = std::min(head_left_, bytes.size());
  head_left_ -= head_part;
  if (!chunked_meter_ || head_part == bytes.size()) return true;
  chunked_meter_->feed(bytes.substr(head_part)); // bytes past the body's end are not its
  body_too_large_ = chunked_meter_->too_large();
  return !body_too_large_ && !chunked_meter_->malformed();
}

void ConnectionStream::begin_request(size_t head_length, std::optional<size_t> chunked_limit) {
  head_left_ = head_length;
  chunked_meter_.reset();
  if (chunked_limit) chunked_meter_.emplace(*chunked_limit);
  body_too_large_ = false;
  read_timed_out_ = false;
}

void ConnectionStream::write_refusal(int status) {
  const char *reason = status == 408   ? "Request Timeout"
                       : status == 413 ? "Content Too Large"
                       : status == 414 ? "URI Too Long"
                       : status == 431 ? "Request Header Fields Too Large"
                       : status == 501 ? "Not Implemented"
                       : status == 503 ? "Service Unavailable"
                                       : "Bad Request";
  const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                               "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  write(response.data(), response.size());
}

void ConnectionStream::discard_response() {
  buffers_.output.clear();
  reset_response();
}

// cpp-httplib writes the status line and headers in one write, then the body. The
// status comes from there, so the log shows what was really sent for the responses
// cpp-httplib makes itself (400, 414...).
void ConnectionStream::write_response_head(const char *ptr, size_t size) {
  std::string_view head(ptr, size);
  buffers_.output.append(ptr, size);
  if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) return;
  int status = 0;
  std::from_chars(head.data() + 9, head.data() + 12, status);
  if (status >= 100 && status < 200) { // an interim response: the client waits for it now
    flush();
    return;
  }
  status_ = status;
  head_written_ = true;
}

bool ConnectionStream::send_response(const ResponseMessage &response, const ConnectionTerms &terms,
                                     bool head_only) {
  if (failed_) return false;
  const bool has_body = status_has_body(response.status);
  append_response_head(buffers_.output, response, has_body ? response.body.size() : 0, terms);
  status_ = response.status;
  head_written_ = true;
  sent_by_server_ = true;
  const std::string_view body = head_only || !has_body ? std::string_view() : response.body;
  body_bytes_ += body.size();
  if (body.size() >= flush_threshold) // a large body goes out from where it lies
    return flush() && send_all(body.data(), body.size());
  buffers_.output.append(body);
  if (buffers_.output.size() >= flush_threshold) return flush();
  return true;
}

ssize_t ConnectionStream::write(const char *ptr, size_t size) {
  // cpp-httplib's response to a request the server has answered itself.
  if (relayed_ || sent_by_server_) return ssize_t(size);
  if (failed_) return -1;
  if (!head_written_) {
    write_response_head(ptr, size);
  } else if (size >= flush_threshold) {
    // A large body goes out from the caller's memory rather than through a copy.
    body_bytes_ += size;
    if (!flush() || !send_all(ptr, size)) return -1;
    return ssize_t(size);
  } else {
    body_bytes_ += size;
    buffers_.output.append(ptr, size);
  }
  if (buffers_.output.size() >= flush_threshold && !flush()) return -1;
  return ssize_t(size);
}

bool ConnectionStream::flush() {
  std::string &output = buffers_.output;
  send_all(output.data(), output.size());
  output.clear();
  return !failed_;
}

// Sends what the socket takes now and keeps the rest with the connection, so that no
// thread waits for a slow reader (see UnsentOutput); when it cannot be kept, the
// thread waits for the client, WRITE_TIMEOUT_MS at most each time. Once bytes are
// kept, later ones queue behind them.
bool ConnectionStream::send_all(const char *data, size_t size) {
  if (failed_) return false;
  if (!connection_.unsent.empty()) {
    if (keep_unsent(data, size)) return true;
    if (!send_unsent_waiting()) return false;
  }
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(connection_.fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      if (keep_unsent(data + sent, size - sent)) return true;
      if (!wait_for(POLLOUT, timeouts_.write_ms)) return give_up_writing();
    } else {
      failed_ = true;
      return false;
    }
  }
  return true;
}

bool ConnectionStream::send_relayed(const iovec *parts, size_t count, int status,
                                    size_t body_bytes) {
  if (!relayed_) {
    if (!flush()) return false;
    if (!connection_.unsent.empty() && !send_unsent_waiting()) return false;
    relayed_ = true;
    head_written_ = true;
    status_ = status;
  }
  if (failed_) return false;
  body_bytes_ += body_bytes;
  constexpr size_t max_parts = 8;
  iovec left[max_parts];
  count = std::min(count, max_parts);
  std::copy_n(parts, count, left);
  iovec *next = left;
  while (count > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = count;
    const ssize_t sent = ::sendmsg(connection_.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        failed_ = true;
        return false;
      }
      if (!wait_for(POLLOUT, timeouts_.write_ms)) return give_up_writing();
      continue;
    }
    size_t done = size_t(sent);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char *>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  return true;
}

bool ConnectionStream::keep_unsent(const char *data, size_t size) {
  return connection_.unsent.keep(data, size, client_buffers_, client_spill_);
}

// Bytes are kept but no more can be: those go out first, the thread waiting.
bool ConnectionStream::send_unsent_waiting() {
  for (;;) {
    switch (connection_.unsent.send_to(connection_.fd)) {
    case SendProgress::done:
      return true;
    case SendProgress::failed:
      failed_ = true;
      return false;
    case SendProgress::blocked:
      if (!wait_for(POLLOUT, timeouts_.write_ms)) return give_up_writing();
    }
  }
}

bool ConnectionStream::give_up_writing() {
  report_stalled_reader(connection_, timeouts_.write_ms);
  failed_ = true;
  return false;
}

void ConnectionStream::reset_response() {
  status_ = 0;
  head_written_ = false;
  body_bytes_ = 0;
  relayed_ = false;
  sent_by_server_ = false;
  close_after_response_ = false;
}

void ConnectionStream::get_remote_ip_and_port(std::string &ip, int &port) const {
  ip = connection_.peer_ip;
  port = connection_.peer_port;
}

void ConnectionStream::get_local_ip_and_port(std::string &ip, int &port) const {
  ip = connection_.local_ip;
  port = connection_.local_port;
}

} // namespace flexilib::server
