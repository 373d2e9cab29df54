// Follows the bytes of a chunked request body (RFC 9112 7.1), adding up the chunk
// sizes it announces and finding where the body ends. cpp-httplib 0.11 applies
// MAX_BODY_KB to Content-Length bodies only; with this, a chunked body is refused as
// soon as a chunk-size line takes it over the limit, before the data arrives and
// before any handler sees it. Knowing where the body ends lets the epoll loop collect
// a chunked body without a thread, and without reading into the next request.
// The framing itself is read by http/chunked_framing.
#pragma once

#include "http/chunked_framing.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flexilib::server {

class ChunkedBodyMeter {
public:
  explicit ChunkedBodyMeter(size_t limit) : limit_(limit) {}

  // Feeds body bytes in order and returns how many belong to the body: all of them,
  // unless the body ended (complete()) or was refused (too_large(), malformed()) within.
  size_t feed(std::string_view bytes);

  bool complete() const { return framing_.complete(); }
  // The announced sizes, chunk extensions and trailer fields exceed the limit.
  bool too_large() const { return too_large_; }
  // Not chunked coding: cpp-httplib refuses such a body too (400).
  bool malformed() const { return framing_.malformed(); }
  bool stopped() const { return complete() || too_large_ || malformed(); }

private:
  void judge(http::ChunkedFraming::Byte byte);
  void count(uint64_t bytes);

  size_t limit_; // not const: a meter is reset by assigning a new one
  http::ChunkedFraming framing_;
  uint64_t total_ = 0;
  bool too_large_ = false;
};

} // namespace flexilib::server
