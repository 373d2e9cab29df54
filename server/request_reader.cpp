// Reading requests off a connection: bytes -> a complete request for the pipeline.
// Heads and bodies still arriving wait with the connection, not in a thread.
#include "server/request_reader.hpp"

#include "server/access_log.hpp"
#include "server/request_framing.hpp"
#include "server/request_head.hpp"

namespace flexilib::server {

namespace {

// How a connection whose last response was `stream`'s ends.
Ending closing(const ConnectionStream &stream) {
  return is_refusal(stream.response_status()) ? Ending::linger : Ending::close;
}

} // namespace

RequestReader::RequestReader(RequestPipeline &pipeline)
    : pipeline_(pipeline), limits_(pipeline.limits()), client_buffers_(limits_.client_buffer_bytes),
      client_spill_(limits_.client_spill_bytes) {}

// Where a request's body is to be awaited, if anywhere. A request that will be refused
// (a body over MAX_BODY_KB, Content-Length with Transfer-Encoding, a malformed chunk)
// is served now: the refusal needs no body.
RequestReader::BodyWait RequestReader::body_wait(std::string_view head, const BodyFields &fields,
                                                 std::string_view after_head, size_t buffer_size,
                                                 Arena &arena) const {
  // Most requests have no body still to come: the fields say so.
  if (!fields.transfer_encoding &&
      (!fields.content_length || after_head.size() >= *fields.content_length))
    return BodyWait::none;

  if (check_head_syntax(head).status != 0) return BodyWait::none;
  const FramingVerdict framing = check_framing(parse_request_head(head, arena), limits_.framing);
  arena.reset();
  if (framing.status != 0) return BodyWait::none;
  if (framing.chunked) {
    ChunkedBodyMeter meter(limits_.framing.max_body_bytes);
    meter.feed(after_head);
    return meter.stopped() ? BodyWait::none : BodyWait::with_connection;
  }
  // A client that expects "100 Continue" sends nothing more until it gets one.
  if (fields.expect || head.size() + framing.content_length > buffer_size)
    return BodyWait::with_connection;
  return BodyWait::in_buffer;
}

// Moves the request to the connection, to be collected there, if the CLIENT_BUFFERS_MB
// budget allows; false when it does not, and a thread reads the body instead.
bool RequestReader::start_arriving(Connection &connection, ConnectionStream &stream,
                                   std::string_view received, size_t head_length,
                                   const BodyFields &fields) {
  ArrivingRequest &arriving = connection.arriving;
  const std::optional<size_t> body = fields.content_length;
  // A Content-Length body reserves all it will need; a chunked one, what it has so far.
  const size_t first_share = body ? head_length + *body : received.size();
  arriving.budget = client_buffers_.reserve(first_share);
  if (!arriving.budget) return false;
  arriving.bytes.assign(received.begin(), received.end());
  if (body) {
    arriving.length = first_share;
  } else {
    arriving.chunked.emplace(limits_.framing.max_body_bytes);
    arriving.chunked->feed(received.substr(head_length));
  }
  if (fields.expect) {
    static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
    stream.write(go_on.data(), go_on.size()); // 1xx responses go out at once
    arriving.continue_sent = true;
  }
  connection.enter(ConnectionState::receiving_body); // READ_TIMEOUT_MS from here
  return true;
}

// Collects more of the connection's arriving request and, once it is complete, serves
// it from the thread's buffers, which hold it for as long as that takes.
Ending RequestReader::serve_arriving(Connection &connection, ConnectionStream &stream,
                                     ServingThread &thread) {
  ArrivingRequest &arriving = connection.arriving;
  const Arrival arrival = receive_arriving(connection);
  if (arrival == Arrival::closed) return Ending::close;
  if (arrival == Arrival::waiting) return Ending::none;
  connection.enter(ConnectionState::idle); // no longer collecting: served or refused now
  if (arrival == Arrival::out_of_budget) {
    write_diagnostic(connection.peer + ": chunked body outgrew CLIENT_BUFFERS_MB (" +
                     std::to_string(limits_.client_buffer_bytes >> 20) + " MiB), answered 503");
    stream.write_refusal(503);
    stream.flush();
    arriving = {};
    return Ending::linger;
  }

  StreamBuffers &buffers = thread.buffers;
  std::swap(buffers.input, arriving.bytes);
  buffers.begin = 0;
  buffers.end = buffers.input.size();
  const bool last = connection.requests_served + 1 >= limits_.max_requests_per_connection;
  const bool keep_open = pipeline_.serve_one(
      connection, stream, thread, find_head_end(buffers.unread()), last, arriving.continue_sent);
  // The request was received to its last byte and no further: nothing is left unread.
  const bool all_read = buffers.unread().empty();
  std::swap(buffers.input, arriving.bytes);
  buffers.begin = buffers.end = 0;
  arriving = {}; // frees the request's memory and gives its budget back
  if (connection.parked) return park(connection, {}, keep_open && all_read);
  if (keep_open && all_read) return Ending::none;
  return closing(stream);
}

// The request's target parked it (Connection::parked): the connection waits for
// its answer in the epoll set, keeping what the client sent after the request (a
// pipelined request, read once the answer is out).
Ending RequestReader::park(Connection &connection, std::string_view unread, bool keep_open) {
  connection.pending.assign(unread);
  connection.close_after_parked = !keep_open;
  return Ending::none;
}

void RequestReader::record_parked(Connection &connection, ServingThread &thread) {
  pipeline_.record_parked(connection, thread);
}

Ending RequestReader::serve(Connection &connection, ServingThread &thread) {
  StreamBuffers &buffers = thread.buffers;
  ConnectionStream stream(connection, buffers, limits_.timeouts, client_buffers_, client_spill_);
  if (connection.state() == ConnectionState::receiving_body)
    return serve_arriving(connection, stream, thread);
  buffers.begin = 0;
  buffers.end = std::min(connection.pending.size(), buffers.input.size());
  std::copy_n(connection.pending.data(), buffers.end, buffers.input.data());
  connection.pending.clear();

  for (;;) {
    const bool open = stream.fill_without_waiting();
    const size_t head_length = find_head_end(buffers.unread());
    if (head_length == 0) {
      if (!open) return Ending::close;
      const std::string_view unread = buffers.unread();
      const bool line_too_long =
          unread.substr(0, max_request_line + 1).find('\n') == std::string_view::npos &&
          unread.size() > max_request_line;
      if (line_too_long || unread.size() >= limits_.max_head_bytes) {
        const int status = line_too_long ? 414 : 431;
        write_diagnostic(connection.peer +
                         (line_too_long ? ": request line over " : ": request head over ") +
                         std::to_string(line_too_long ? max_request_line : limits_.max_head_bytes) +
                         " bytes, answered " + std::to_string(status));
        stream.write_refusal(status);
        stream.flush();
        return Ending::linger;
      }
      // The head is still arriving: keep what came and wait without a thread.
      connection.pending.assign(buffers.unread());
      if (!connection.pending.empty()) connection.enter(ConnectionState::reading_head);
      return Ending::none;
    }
    // A body is awaited like the head, without a thread, so that clients sending it
    // a byte at a time hold none: one that fits in the buffer must arrive within
    // READ_TIMEOUT_MS; a larger one, or a chunked one, is collected with the connection
    // while the CLIENT_BUFFERS_MB budget lasts and may not pause for longer.
    const std::string_view head = buffers.unread().substr(0, head_length);
    const BodyFields fields = body_fields(head); // one scan: most requests stop here
    const BodyWait wait = body_wait(head, fields, buffers.unread().substr(head_length),
                                    buffers.input.size(), thread.arena);
    if (wait == BodyWait::with_connection &&
        start_arriving(connection, stream, buffers.unread(), head_length, fields)) {
      buffers.begin = buffers.end; // moved to the connection
      return serve_arriving(connection, stream, thread);
    }
    if (wait == BodyWait::in_buffer) {
      if (!open) return Ending::close;
      connection.pending.assign(buffers.unread());
      connection.enter(ConnectionState::reading_head);
      return Ending::none;
    }
    connection.enter(ConnectionState::idle); // complete: the request is served now
    const bool last =
        !open || connection.requests_served + 1 >= limits_.max_requests_per_connection;
    const bool keep_open = pipeline_.serve_one(connection, stream, thread, head_length, last);
    if (connection.parked) return park(connection, buffers.unread(), keep_open);
    if (!keep_open) return closing(stream);
    if (buffers.unread().empty()) return Ending::none;
    if (!connection.unsent.empty()) {
      // The client is not reading: its next pipelined request waits until it has.
      connection.pending.assign(buffers.unread());
      return Ending::none;
    }
  }
}

} // namespace flexilib::server
