// A small state machine over chunked transfer coding (RFC 9112 7.1), counting only.
#include "server/chunked_body_meter.hpp"

namespace flexilib::server {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

bool ChunkedBodyMeter::feed(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size() && !over_; ++i) {
    const char c = bytes[i];
    switch (state_) {
    case State::size:
      if (const int digit = hex_value(c); digit >= 0) {
        chunk_size_ = chunk_size_ * 16 + uint64_t(digit);
        saw_digit_ = true;
        // Checked at every digit: a size line announcing too much fails at once.
        if (chunk_size_ > limit_ || total_ + chunk_size_ > limit_) over_ = true;
      } else if (c == ';' || c == ' ' || c == '\t') {
        state_ = State::extension;
      } else if (c == '\r' && saw_digit_) {
        state_ = State::size_lf;
      } else {
        over_ = true; // not a chunk size: cpp-httplib will refuse it too
      }
      break;
    case State::extension:
      if (c == '\r') state_ = State::size_lf;
      break;
    case State::size_lf:
      total_ += chunk_size_;
      remaining_ = chunk_size_;
      state_ = chunk_size_ == 0 ? State::trailer : State::data;
      chunk_size_ = 0;
      saw_digit_ = false;
      break;
    case State::data: {
      const uint64_t take = std::min<uint64_t>(remaining_, bytes.size() - i);
      remaining_ -= take;
      i += size_t(take) - 1;
      if (remaining_ == 0) state_ = State::data_cr;
      break;
    }
    case State::data_cr:
      state_ = State::data_lf;
      break;
    case State::data_lf:
      state_ = State::size;
      break;
    case State::trailer:
      break; // trailer fields and the final CRLF: nothing more to count
    }
  }
  return !over_;
}

} // namespace flexilib::server
