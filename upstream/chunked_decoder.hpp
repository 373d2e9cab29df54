// Decodes a chunked body (RFC 9112 §7.1) as it arrives, in place: the chunk data is
// moved to the front of the bytes given, framing, extensions and trailer fields are
// dropped. The relay sends the data on re-framed for its own client, so nothing the
// upstream wrote between chunks reaches the client as it was.
#pragma once

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

  bool complete() const { return state_ == State::done; }
  bool malformed() const { return state_ == State::malformed; }

private:
  enum class State {
    size,
    extension,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer_line,
    trailer_lf,
    done,
    malformed
  };
  void take(char c);

  State state_ = State::size;
  uint64_t remaining_ = 0;
  int digits_ = 0;
};

} // namespace flexilib::upstream
