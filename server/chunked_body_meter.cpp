// Counting a chunked request body against the limit, as its framing is read.
#include "server/chunked_body_meter.hpp"

#include <algorithm>

namespace flexilib::server {

size_t ChunkedBodyMeter::feed(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && !stopped()) {
    if (framing_.in_data()) { // chunk data is skipped whole, not byte by byte
      const uint64_t take = std::min<uint64_t>(framing_.data_due(), bytes.size() - used);
      framing_.take_data(take);
      used += size_t(take);
      continue;
    }
    judge(framing_.take(bytes[used]));
    if (too_large_ || malformed()) break; // the refused byte is not the body's
    ++used;
  }
  return used;
}

void ChunkedBodyMeter::count(uint64_t bytes) {
  total_ += bytes;
  if (total_ > limit_) too_large_ = true;
}

void ChunkedBodyMeter::judge(http::ChunkedFraming::Byte byte) {
  using Byte = http::ChunkedFraming::Byte;
  switch (byte) {
  case Byte::size_digit: // checked at every digit: a size line announcing too much fails at once
    if (framing_.chunk_size() > limit_ || total_ + framing_.chunk_size() > limit_)
      too_large_ = true;
    break;
  case Byte::size_line_end:
    count(framing_.chunk_size());
    break;
  case Byte::extension: // extensions and trailer fields are ignored, but count: they
  case Byte::trailer:   // could be endless
  case Byte::trailer_line_end:
    count(1);
    break;
  case Byte::framing:
  case Byte::end:
  case Byte::malformed:
    break;
  }
}

} // namespace flexilib::server
