// libFuzzer target for what a client sends before cpp-httplib reads it (server/
// request_head.cpp, request_framing.cpp, chunked_body_meter.cpp): any bytes are judged
// without a crash, the checks agree with each other, and a chunked body's end is found
// at the same place whether its bytes come all at once or one at a time.
//
// Input: the raw bytes of a connection, head first (a plain HTTP request is a valid
// input). The limits come from the input's last bytes, so that small ones get tried.
#include "server/arena.hpp"
#include "server/chunked_body_meter.hpp"
#include "server/request_framing.hpp"
#include "server/request_head.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using namespace flexilib::server;

void require(bool holds, const char *promise) {
  if (holds) return;
  std::fprintf(stderr, "fuzz_request_head: broken promise: %s\n", promise);
  std::abort();
}

bool points_into(std::string_view text, const char *pointer, size_t length) {
  return pointer >= text.data() && pointer + length <= text.data() + text.size();
}

void check_parsed_head(std::string_view head, const RequestHead &parsed) {
  require(points_into(head, parsed.request_line.data(), parsed.request_line.size()),
          "the request line lies inside the head");
  for (size_t i = 0; i < parsed.header_count; ++i) {
    const flexilib_header &header = parsed.headers[i];
    require(header.name_len > 0, "no header has an empty name");
    require(points_into(head, header.name_ptr, header.name_len) &&
                points_into(head, header.value_ptr, header.value_len),
            "header names and values lie inside the head");
  }
}

void check_verdicts(const FramingVerdict &syntax, const FramingVerdict &framing,
                    const BodyFields &fields) {
  require(syntax.status == 0 || syntax.status == 400 || syntax.status == 414,
          "syntax is answered 400 or 414");
  require(framing.status == 0 || framing.status == 400 || framing.status == 413 ||
              framing.status == 431 || framing.status == 501,
          "framing is answered 400, 413, 431 or 501");
  require((syntax.status == 0) == syntax.problem.empty() &&
              (framing.status == 0) == framing.problem.empty(),
          "a refusal, and only a refusal, says why");
  if (framing.status != 0) return;
  require(!framing.chunked || !fields.content_length,
          "a chunked body has no Content-Length as well");
  require(!fields.content_length || *fields.content_length == framing.content_length,
          "body_fields and check_framing read the same Content-Length");
  require(!framing.chunked || fields.transfer_encoding,
          "body_fields sees the Transfer-Encoding check_framing saw");
}

// Fed whole or a byte at a time, the meter must stop at the same byte, the same way.
void check_chunked_body(std::string_view body, size_t limit) {
  ChunkedBodyMeter whole(limit);
  const size_t whole_used = whole.feed(body);
  ChunkedBodyMeter bytewise(limit);
  size_t bytewise_used = 0;
  for (size_t i = 0; i < body.size() && !bytewise.stopped(); ++i)
    bytewise_used += bytewise.feed(body.substr(i, 1));
  require(whole_used <= body.size(), "the meter takes no more than it is given");
  require(whole_used == bytewise_used && whole.complete() == bytewise.complete() &&
              whole.too_large() == bytewise.too_large() &&
              whole.malformed() == bytewise.malformed(),
          "feeding whole or byte by byte ends the body at the same place");
  require(!whole.stopped() ? whole_used == body.size() : true,
          "a meter that has not stopped took every byte");
  require(!whole.complete() || (whole_used >= 5 && body[whole_used - 1] == '\n'),
          "a complete body ends with a line end");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  const size_t limit = size > 0 ? size_t(data[size - 1]) * 4 : 1024;

  const size_t head_length = find_head_end(bytes);
  require(head_length <= bytes.size(), "the head lies inside what was received");
  if (head_length == 0) return 0;
  const std::string_view head = bytes.substr(0, head_length);
  require(head.back() == '\n', "a head ends with a line end");

  static Arena arena(8 * 1024);
  arena.reset();
  const RequestHead parsed = parse_request_head(head, arena);
  check_parsed_head(head, parsed);
  const FramingVerdict syntax = check_head_syntax(head);
  const FramingVerdict framing = check_framing(parsed, {size_t(data[0]) + 1, limit});
  check_verdicts(syntax, framing, body_fields(head));
  check_chunked_body(bytes.substr(head_length), limit);
  return 0;
}
