// Unit tests for ChunkedBodyMeter: where a chunked body ends, and when it is refused.
#include "server/chunked_body_meter.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using flexilib::server::ChunkedBodyMeter;

namespace {
constexpr size_t limit = 1000;

// Feeds `bytes` one at a time, as the slowest client would send them; returns how many
// the meter took.
size_t feed_bytewise(ChunkedBodyMeter &meter, std::string_view bytes) {
  size_t used = 0;
  for (size_t i = 0; i < bytes.size() && !meter.stopped(); ++i)
    used += meter.feed(bytes.substr(i, 1));
  return used;
}
} // namespace

TEST_CASE("the meter finds the end of a chunked body and takes nothing after it",
          "[chunked_body_meter]") {
  const std::string body = "5\r\nhello\r\n1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
  const std::string next = "GET /next HTTP/1.1\r\n\r\n";

  ChunkedBodyMeter whole(limit);
  CHECK(whole.feed(body + next) == body.size());
  CHECK(whole.complete());
  CHECK_FALSE(whole.too_large());
  CHECK_FALSE(whole.malformed());

  ChunkedBodyMeter bytewise(limit);
  CHECK(feed_bytewise(bytewise, body + next) == body.size());
  CHECK(bytewise.complete());
}

TEST_CASE("trailer fields belong to the body, up to the empty line", "[chunked_body_meter]") {
  const std::string body = "3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Other: 1\r\n\r\n";
  ChunkedBodyMeter meter(limit);
  CHECK(meter.feed(body + "rest") == body.size());
  CHECK(meter.complete());
}

TEST_CASE("an incomplete body is neither complete nor refused", "[chunked_body_meter]") {
  for (const std::string partial :
       {"", "5", "5\r\nhel", "5\r\nhello\r\n", "0\r\n", "0\r\nX: 1\r\n"}) {
    INFO(partial);
    ChunkedBodyMeter meter(limit);
    CHECK(meter.feed(partial) == partial.size());
    CHECK_FALSE(meter.stopped());
  }
}

TEST_CASE("announced sizes over the limit are refused at the size line", "[chunked_body_meter]") {
  ChunkedBodyMeter one_chunk(limit);
  one_chunk.feed("3e9"); // 1001: refused before any data, before the line even ends
  CHECK(one_chunk.too_large());

  ChunkedBodyMeter many_chunks(limit);
  const std::string chunk = "1f4\r\n" + std::string(500, 'x') + "\r\n"; // 500 bytes each
  CHECK(many_chunks.feed(chunk + chunk) == 2 * chunk.size());
  CHECK_FALSE(many_chunks.stopped());
  many_chunks.feed("1\r\n");
  CHECK(many_chunks.too_large());

  ChunkedBodyMeter endless_trailer(limit);
  endless_trailer.feed("0\r\nX: " + std::string(2 * limit, 'y'));
  CHECK(endless_trailer.too_large());
}

TEST_CASE("bytes that are not chunked coding are refused as malformed", "[chunked_body_meter]") {
  // A bare LF or a NUL in a chunk extension too: the upstream's decoder refuses the same
  // (one parser, http/chunked_framing).
  for (const std::string &bad :
       std::vector<std::string>{"x\r\n", "\r\n", "5\rhello", "5\r\nhelloXY", "0\r\n\rX",
                                "5;a\nb\r\n", std::string("5;a\0b\r\n", 7)}) {
    INFO(bad);
    ChunkedBodyMeter meter(limit);
    meter.feed(bad);
    CHECK(meter.malformed());
    CHECK_FALSE(meter.complete());
  }
}
