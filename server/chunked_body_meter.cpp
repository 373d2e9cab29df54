// A small state machine over chunked transfer coding (RFC 9112 7.1), counting only.
#include "server/chunked_body_meter.hpp"

#include <algorithm>

namespace flexilib::server {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

size_t ChunkedBodyMeter::feed(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && !stopped()) {
    if (state_ == State::data) { // chunk data is skipped whole, not byte by byte
      const uint64_t take = std::min<uint64_t>(remaining_, bytes.size() - used);
      remaining_ -= take;
      used += size_t(take);
      if (remaining_ == 0) state_ = State::data_cr;
      continue;
    }
    if (!take(bytes[used])) break;
    ++used;
  }
  return used;
}

void ChunkedBodyMeter::count(uint64_t bytes) {
  total_ += bytes;
  if (total_ > limit_) too_large_ = true;
}

bool ChunkedBodyMeter::refuse() {
  malformed_ = true;
  return false;
}

// One byte outside chunk data; false when it cannot be part of the body.
bool ChunkedBodyMeter::take(char c) {
  switch (state_) {
  case State::size:
    if (const int digit = hex_value(c); digit >= 0) {
      chunk_size_ = chunk_size_ * 16 + uint64_t(digit);
      saw_digit_ = true;
      // Checked at every digit: a size line announcing too much fails at once.
      if (chunk_size_ > limit_ || total_ + chunk_size_ > limit_) too_large_ = true;
    } else if (saw_digit_ && (c == ';' || c == ' ' || c == '\t')) {
      state_ = State::extension;
    } else if (saw_digit_ && c == '\r') {
      state_ = State::size_lf;
    } else {
      malformed_ = true;
    }
    break;
  case State::extension: // extensions are ignored, but count: they could be endless
    count(1);
    if (c == '\r') state_ = State::size_lf;
    break;
  case State::size_lf:
    if (c != '\n') return refuse();
    count(chunk_size_);
    remaining_ = chunk_size_;
    state_ = chunk_size_ == 0 ? State::trailer_start : State::data;
    chunk_size_ = 0;
    saw_digit_ = false;
    break;
  case State::data_cr:
    if (c != '\r') return refuse();
    state_ = State::data_lf;
    break;
  case State::data_lf:
    if (c != '\n') return refuse();
    state_ = State::size;
    break;
  case State::trailer_start: // a trailer field line, or the empty line that ends it all
    count(1);
    state_ = c == '\r' ? State::trailer_lf : State::trailer_line;
    break;
  case State::trailer_line:
    count(1);
    if (c == '\n') state_ = State::trailer_start;
    break;
  case State::trailer_lf:
    if (c != '\n') return refuse();
    state_ = State::done;
    break;
  case State::data:
  case State::done:
    break;
  }
  return !too_large_ && !malformed_;
}

} // namespace flexilib::server
