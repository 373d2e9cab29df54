// Watches the bytes of a chunked request body as cpp-httplib reads them, adding up the
// chunk sizes it announces. cpp-httplib 0.11 applies MAX_BODY_KB to Content-Length
// bodies only; with this, a chunked body is refused as soon as a chunk-size line takes
// it over the limit, before the data arrives and before any handler sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flexilib::server {

class ChunkedBodyMeter {
public:
  explicit ChunkedBodyMeter(size_t limit) : limit_(limit) {}

  // Feeds body bytes in order; false once the announced sizes exceed the limit (or a
  // size line is not hexadecimal), and from then on.
  bool feed(std::string_view bytes);

private:
  enum class State { size, extension, size_lf, data, data_cr, data_lf, trailer };
  const size_t limit_;
  State state_ = State::size;
  uint64_t chunk_size_ = 0;
  uint64_t remaining_ = 0;
  uint64_t total_ = 0;
  bool over_ = false;
  bool saw_digit_ = false;
};

} // namespace flexilib::server
