// The framing of chunked transfer coding (RFC 9112 7.1), read as it arrives: chunk-size
// lines with their extensions, the CRLF after each chunk's data, the trailer section and
// the empty line that ends the body. One parser for both directions: a request body is
// metered (server/chunked_body_meter), an upstream's response decoded
// (upstream/chunked_decoder); each applies its own limits to what this reports.
#pragma once

#include <cstdint>

namespace flexilib::http {

class ChunkedFraming {
public:
  // What one framing byte was.
  enum class Byte {
    size_digit,       // a hex digit of a chunk size: chunk_size() is the size so far
    extension,        // a byte of a chunk extension (ignored), or the space before it
    size_line_end,    // the LF ending a size line: chunk_size() is the chunk's (0: the last)
    trailer,          // a byte of a trailer field line (dropped), its CR included
    trailer_line_end, // the LF ending a trailer field line
    framing,          // the CR of a line, or the CRLF after a chunk's data
    end,              // the LF of the empty line that ends the body
    malformed,        // not chunked coding
  };

  // Chunk data due before the next framing byte; while in_data(), bytes go to
  // take_data, not take.
  bool in_data() const { return state_ == State::data; }
  uint64_t data_due() const { return in_data() ? chunk_size_ - data_taken_ : 0; }
  // `count` bytes of chunk data, at most data_due().
  void take_data(uint64_t count);

  // One byte outside chunk data. After the end or a malformed byte, every byte is
  // reported as the same.
  Byte take(char c);

  uint64_t chunk_size() const { return chunk_size_; }
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
  Byte take_size_digit(int digit);
  Byte refuse();

  State state_ = State::size;
  uint64_t chunk_size_ = 0;
  uint64_t data_taken_ = 0;
  bool saw_digit_ = false;
};

} // namespace flexilib::http
