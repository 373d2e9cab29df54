// A state machine over chunked transfer coding that keeps the data.
#include "upstream/chunked_decoder.hpp"

#include <algorithm>
#include <cstring>

namespace flexilib::upstream {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr int max_size_digits = 15; // 2^60 bytes: no size can overflow
constexpr size_t max_trailer_line = 8192;
} // namespace

ChunkedDecoder::Step ChunkedDecoder::decode(char *bytes, size_t size) {
  Step step;
  while (step.consumed < size && state_ != State::done && state_ != State::malformed) {
    if (state_ == State::data) { // chunk data moves whole, not byte by byte
      const size_t take = size_t(std::min<uint64_t>(remaining_, size - step.consumed));
      if (step.data != step.consumed) std::memmove(bytes + step.data, bytes + step.consumed, take);
      step.data += take;
      step.consumed += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::data_cr;
      continue;
    }
    take(bytes[step.consumed++]);
  }
  return step;
}

// One byte outside chunk data.
void ChunkedDecoder::take(char c) {
  switch (state_) {
  case State::size:
    if (const int digit = hex_value(c); digit >= 0 && digits_ < max_size_digits) {
      remaining_ = remaining_ * 16 + uint64_t(digit);
      ++digits_;
    } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
      state_ = State::extension;
    } else if (digits_ > 0 && c == '\r') {
      state_ = State::size_lf;
    } else {
      state_ = State::malformed;
    }
    break;
  case State::extension:
    if (c == '\r')
      state_ = State::size_lf;
    else if (c == '\n' || c == '\0')
      state_ = State::malformed;
    break;
  case State::size_lf:
    if (c != '\n') {
      state_ = State::malformed;
      break;
    }
    digits_ = 0;
    state_ = remaining_ == 0 ? State::trailer_start : State::data;
    break;
  case State::data_cr:
    state_ = c == '\r' ? State::data_lf : State::malformed;
    break;
  case State::data_lf:
    state_ = c == '\n' ? State::size : State::malformed;
    break;
  case State::trailer_start: // a trailer field line, or the empty line that ends it all
    remaining_ = 0;
    state_ = c == '\r' ? State::trailer_lf : State::trailer_line;
    break;
  case State::trailer_line: // trailer fields are dropped; an endless one is refused
    if (c == '\n')
      state_ = State::trailer_start;
    else if (++remaining_ > max_trailer_line)
      state_ = State::malformed;
    break;
  case State::trailer_lf:
    state_ = c == '\n' ? State::done : State::malformed;
    break;
  case State::data:
  case State::done:
  case State::malformed:
    break;
  }
}

} // namespace flexilib::upstream
