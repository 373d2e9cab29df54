// The httplib::Stream through which cpp-httplib reads a request from a connection,
// and through which every response goes out: the server's own (send_response), a
// relayed one, and those cpp-httplib makes itself for requests it refuses. Socket
// reads and writes, buffered per serving thread, with what the socket will not take
// kept with the connection. It exists for one turn, on the thread that serves the
// connection.
#pragma once

#include "server/chunked_body_meter.hpp"
#include "server/connection.hpp"
#include "server/memory_budget.hpp"
#include "server/response_writer.hpp"

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>
#include <sys/uio.h>
#include <vector>

namespace flexilib::server {

// The per-thread buffers a stream reads into and writes through, reused by every
// request the thread serves so that serving costs no per-request buffer allocation.
struct StreamBuffers {
  std::vector<char> input = std::vector<char>(16 * 1024);
  size_t begin = 0, end = 0; // unread bytes are input[begin, end)
  std::string output;        // the response, flushed in as few writes as possible

  std::string_view unread() const { return {input.data() + begin, end - begin}; }
};

struct StreamTimeouts { // READ_TIMEOUT_MS, WRITE_TIMEOUT_MS
  int read_ms = 0;
  int write_ms = 0;
};

class ConnectionStream final : public httplib::Stream {
public:
  // What the socket will not take at once is kept with the connection, in memory
  // (`client_buffers`, CLIENT_BUFFERS_MB) or on disk (`client_spill`, CLIENT_SPILL_MB);
  // past both the thread waits for the client.
  ConnectionStream(Connection &connection, StreamBuffers &buffers, StreamTimeouts timeouts,
                   MemoryBudget &client_buffers, MemoryBudget &client_spill)
      : connection_(connection), buffers_(buffers), timeouts_(timeouts),
        client_buffers_(client_buffers), client_spill_(client_spill) {}

  // Reads whatever the socket has now, without waiting. Returns false on EOF or error.
  bool fill_without_waiting();

  // Writes out the buffered response. False when the client is gone.
  bool flush();

  // What was written for the current response: status (from the status line) and
  // body bytes. reset_response() starts counting the next response.
  int response_status() const { return status_; }
  size_t response_body_bytes() const { return body_bytes_; }
  void reset_response();
  // Starts a request whose head is the next `head_length` bytes read. With a
  // `chunked_limit`, the chunked body after it is metered: a read that takes the
  // announced sizes over the limit fails and body_too_large() says so.
  void begin_request(size_t head_length, std::optional<size_t> chunked_limit);
  bool body_too_large() const { return body_too_large_; }
  // A read that failed because the client sent nothing for READ_TIMEOUT_MS.
  bool read_timed_out() const { return read_timed_out_; }
  // Forgets the response written so far (not yet flushed), to send another instead.
  void discard_response();

  // Answers a request refused before cpp-httplib sees it (400, 408, 413, 414, 431, 501,
  // 503) with an empty body and "Connection: close": after a framing problem the rest
  // of the stream cannot be trusted.
  void write_refusal(int status);

  // A response the server relays as it arrives (an upstream's) instead of through
  // cpp-httplib: sends `parts` whole (after anything written before), the thread
  // waiting for the client, WRITE_TIMEOUT_MS at most each time. Nothing is kept with
  // the connection, so the relay's own buffer is all the memory the response takes,
  // and a slow reader slows the relay down. `status` is the response's, `body_bytes`
  // how many of the bytes are its body (for the log). What cpp-httplib writes for
  // the request afterwards is dropped. False when the client is gone.
  bool send_relayed(const iovec *parts, size_t count, int status, size_t body_bytes);
  // The connection closes once the current response is out (a relayed body whose end
  // only the close can tell, or one cut short).
  void close_after_response() { close_after_response_ = true; }
  bool closes_after_response() const { return close_after_response_; }

  // Writes `response` (head and body; the head only for a HEAD request). Once a
  // response has gone out this way, what cpp-httplib writes for the request is
  // dropped. False when the client is gone.
  bool send_response(const ResponseMessage &response, const ConnectionTerms &terms, bool head_only);
  // Whether any part of a final response has been written for the current request.
  bool response_started() const { return head_written_; }

  // httplib::Stream
  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char *ptr, size_t size) override;
  ssize_t write(const char *ptr, size_t size) override;
  void get_remote_ip_and_port(std::string &ip, int &port) const override;
  void get_local_ip_and_port(std::string &ip, int &port) const override;
  socket_t socket() const override { return connection_.fd; }

private:
  bool wait_for(short events, int timeout_ms) const;
  ssize_t receive(char *ptr, size_t size);
  bool send_all(const char *data, size_t size);
  bool keep_unsent(const char *data, size_t size);
  bool send_unsent_waiting();
  bool give_up_writing();
  bool meter_body(std::string_view bytes);
  void write_response_head(const char *ptr, size_t size);

  Connection &connection_;
  StreamBuffers &buffers_;
  StreamTimeouts timeouts_;
  MemoryBudget &client_buffers_;
  MemoryBudget &client_spill_;
  int status_ = 0;
  bool head_written_ = false;
  size_t body_bytes_ = 0;
  bool failed_ = false;
  size_t head_left_ = 0; // head bytes still to be read for the current request
  std::optional<ChunkedBodyMeter> chunked_meter_;
  bool body_too_large_ = false;
  bool read_timed_out_ = false;
  bool relayed_ = false;        // the response went out through send_relayed()
  bool sent_by_server_ = false; // the response went out through send_response()
  bool close_after_response_ = false;
};

} // namespace flexilib::server
