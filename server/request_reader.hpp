// Reads requests off a connection for the request pipeline. A thread that takes a
// ready connection calls serve(): every complete request buffered on it is served in
// order, and whatever is still arriving (the rest of a head, a body) is kept with the
// connection until epoll says more has come, so a slow client holds no thread. Bodies
// too big for a thread's buffer, chunked ones and ones after "100 Continue" are
// collected in the connection's ArrivingRequest, within CLIENT_BUFFERS_MB.
#pragma once

#include "server/connection_stream.hpp"
#include "server/memory_budget.hpp"
#include "server/request_head.hpp"
#include "server/request_pipeline.hpp"
#include "server/serving_thread.hpp"

#include <string_view>

namespace flexilib::server {

using Ending = Connection::Ending;

class RequestReader {
public:
  explicit RequestReader(RequestPipeline &pipeline);

  // Serves every complete request buffered on the connection (reading what the
  // socket already has), and says how the connection ends: not yet (wait for more),
  // closed, or lingering after a refusal (see Connection::Ending). Runs on a
  // serving thread that owns the connection for the duration. A response the socket
  // would not take whole is left in connection.unsent, and serving stops there: the
  // caller sends the rest when the client reads it, then closes or calls again.
  Ending serve(Connection &connection, ServingThread &thread);

  const PipelineLimits &limits() const { return limits_; }

  // A parked request is done (Connection::parked): its log line and figures.
  void record_parked(Connection &connection, ServingThread &thread);

private:
  Ending park(Connection &connection, std::string_view unread, bool keep_open);
  enum class BodyWait { none, in_buffer, with_connection };
  BodyWait body_wait(std::string_view head, const BodyFields &fields, std::string_view after_head,
                     size_t buffer_size, Arena &arena) const;
  bool start_arriving(Connection &connection, ConnectionStream &stream, std::string_view received,
                      size_t head_length, const BodyFields &fields);
  Ending serve_arriving(Connection &connection, ConnectionStream &stream, ServingThread &thread);

  RequestPipeline &pipeline_;
  const PipelineLimits &limits_;
  MemoryBudget client_buffers_; // CLIENT_BUFFERS_MB: arriving bodies, unread responses
  MemoryBudget client_spill_;   // CLIENT_SPILL_MB: unread responses on disk
};

} // namespace flexilib::server
