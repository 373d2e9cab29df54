// Decodes a chunked body (RFC 9112 §7.1) as it arrives, in place: the chunk data is
// moved to the front of the bytes given, framing, extensions and trailer fields are
// dropped. The relay sends the data on re-framed for its own client, so nothing the
// upstream wrote between chunks reaches the client as it was. The framing itself is
// read by http/chunked_framing.
#pragma once

#include "http/chunked_framing.hpp"

#include <cstddef>
#include <cstdint>

namespace flexilib::upstream {

class ChunkedDecoder {
public:
  struct Step {
    size_t data = 0;     // chunk data now at the front of the bytes given
    size_t consumed = 0; // bytes used: all of them unless the body ended within
  };

  // Decodes `size` bytes at `bytes`, which must follow the ones decoded before.
  Step decode(char *bytes, size_t size);

  bool complete() const { return framing_.complete(); }
  bool malformed() const { return framing_.malformed() || trailer_too_long_; }

private:
  void judge(http::ChunkedFraming::Byte byte);

  http::ChunkedFraming framing_;
  size_t trailer_line_ = 0; // bytes of the trailer field line being dropped
  bool trailer_too_long_ = false;
};

} // namespace flexilib::upstream
