// Keeping a chunked body's data, as its framing is read.
#include "upstream/chunked_decoder.hpp"

#include <algorithm>
#include <cstring>

namespace flexilib::upstream {

namespace {
constexpr size_t max_trailer_line = 8192; // an endless trailer field is refused
} // namespace

ChunkedDecoder::Step ChunkedDecoder::decode(char *bytes, size_t size) {
  Step step;
  while (step.consumed < size && !complete() && !malformed()) {
    if (framing_.in_data()) { // chunk data moves whole, not byte by byte
      const size_t take = size_t(std::min<uint64_t>(framing_.data_due(), size - step.consumed));
      if (step.data != step.consumed) std::memmove(bytes + step.data, bytes + step.consumed, take);
      step.data += take;
      step.consumed += take;
      framing_.take_data(take);
      continue;
    }
    judge(framing_.take(bytes[step.consumed++]));
  }
  return step;
}

void ChunkedDecoder::judge(http::ChunkedFraming::Byte byte) {
  using Byte = http::ChunkedFraming::Byte;
  if (byte == Byte::trailer_line_end) trailer_line_ = 0;
  if (byte == Byte::trailer && ++trailer_line_ > max_trailer_line) trailer_too_long_ = true;
}

} // namespace flexilib::upstream
