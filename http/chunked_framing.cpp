// A state machine over chunked transfer coding's framing; the data is the caller's.
#include "http/chunked_framing.hpp"

#include "http/hex_digit.hpp"

namespace flexilib::http {

namespace {
// 2^60 bytes: larger sizes are refused before they could overflow, leading zeros are not.
constexpr uint64_t max_chunk_size = (uint64_t(1) << 60) - 1;
} // namespace

void ChunkedFraming::take_data(uint64_t count) {
  data_taken_ += count;
  if (data_taken_ == chunk_size_) state_ = State::data_cr;
}

ChunkedFraming::Byte ChunkedFraming::refuse() {
  state_ = State::malformed;
  return Byte::malformed;
}

ChunkedFraming::Byte ChunkedFraming::take_size_digit(int digit) {
  if (chunk_size_ > (max_chunk_size - uint64_t(digit)) / 16) return refuse();
  chunk_size_ = chunk_size_ * 16 + uint64_t(digit);
  saw_digit_ = true;
  return Byte::size_digit;
}

ChunkedFraming::Byte ChunkedFraming::take(char c) {
  switch (state_) {
  case State::size:
    if (const int digit = hex_digit_value(c); digit >= 0) return take_size_digit(digit);
    if (!saw_digit_) return refuse();
    if (c == ';' || c == ' ' || c == '\t') {
      state_ = State::extension;
      return Byte::extension;
    }
    if (c != '\r') return refuse();
    state_ = State::size_lf;
    return Byte::framing;
  case State::extension: // ignored, but a bare LF or a NUL is no chunk extension
    if (c == '\n' || c == '\0') return refuse();
    if (c != '\r') return Byte::extension;
    state_ = State::size_lf;
    return Byte::framing;
  case State::size_lf:
    if (c != '\n') return refuse();
    data_taken_ = 0;
    saw_digit_ = false;
    state_ = chunk_size_ == 0 ? State::trailer_start : State::data;
    return Byte::size_line_end;
  case State::data_cr:
    if (c != '\r') return refuse();
    state_ = State::data_lf;
    return Byte::framing;
  case State::data_lf:
    if (c != '\n') return refuse();
    chunk_size_ = 0;
    state_ = State::size;
    return Byte::framing;
  case State::trailer_start: // a trailer field line, or the empty line that ends it all
    if (c == '\r') {
      state_ = State::trailer_lf;
      return Byte::framing;
    }
    state_ = State::trailer_line;
    return Byte::trailer;
  case State::trailer_line:
    if (c != '\n') return Byte::trailer;
    state_ = State::trailer_start;
    return Byte::trailer_line_end;
  case State::trailer_lf:
    if (c != '\n') return refuse();
    state_ = State::done;
    return Byte::end;
  case State::done:
    return Byte::end;
  case State::data: // the caller's mistake: data goes to take_data
  case State::malformed:
    return refuse();
  }
  return refuse();
}

} // namespace flexilib::http
