// Unit tests of the limit and body-framing checks made before cpp-httplib reads a body.
#include "server/request_framing.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace flexilib::server;

namespace {
FramingVerdict check(const std::string &head, FramingLimits limits = {}) {
  static Arena arena(64 * 1024);
  arena.reset();
  static std::string kept;
  kept = head;
  return check_framing(parse_request_head(kept, arena), limits);
}
} // namespace

TEST_CASE("an ordinary head passes and reports its body length", "[framing]") {
  FramingVerdict verdict = check("POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
  CHECK(verdict.status == 0);
  CHECK(verdict.content_length == 12);
  CHECK_FALSE(verdict.chunked);
  CHECK(check("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status == 0);
  CHECK(check("POST / HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n").chunked);
}

TEST_CASE("repeated identical Content-Length is accepted, conflicting is refused", "[framing]") {
  CHECK(check("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n").status == 0);
  CHECK(check("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").status == 400);
}

TEST_CASE("a Content-Length that is not a plain number is refused", "[framing]") {
  for (const char *value : {"-1", "+5", "5 5", "0x10", "", "1e3", "99999999999999999999"}) {
    INFO(value);
    CHECK(check(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n").status ==
          400);
  }
}

TEST_CASE("Content-Length with Transfer-Encoding is refused (request smuggling)", "[framing]") {
  CHECK(
      check("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n").status ==
      400);
  CHECK(
      check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n").status ==
      400);
}

TEST_CASE("transfer codings other than a single chunked are not implemented", "[framing]") {
  CHECK(check("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status == 501);
  CHECK(check("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n").status == 501);
  CHECK(check("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
            .status == 501);
}

TEST_CASE("limits on header count and body size", "[framing]") {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 11; ++i)
    many += "X-" + std::to_string(i) + ": v\r\n";
  many += "\r\n";
  CHECK(check(many, {10, 100}).status == 431);
  CHECK(check(many, {11, 100}).status == 0);
  CHECK(check("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", {10, 100}).status == 413);
  CHECK(check("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", {10, 100}).status == 0);
}

TEST_CASE("body_fields reads what a head says about its body in one pass", "[framing]") {
  using flexilib::server::body_fields;
  const auto plain = body_fields("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK_FALSE(plain.content_length);
  CHECK_FALSE(plain.transfer_encoding);
  CHECK_FALSE(plain.expect);

  const auto upload =
      body_fields("POST / HTTP/1.1\r\ncontent-LENGTH:  42 \r\nExpect: 100-continue\r\n\r\n");
  CHECK(upload.content_length == 42u);
  CHECK(upload.expect);

  CHECK(body_fields("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").transfer_encoding);
  // Anything but exactly one valid length is no length: check_framing refuses those.
  CHECK_FALSE(body_fields("POST / HTTP/1.1\r\nContent-Length: 4x\r\n\r\n").content_length);
  CHECK_FALSE(body_fields("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n")
                  .content_length);
  // A field whose name only starts like one is another field.
  CHECK_FALSE(body_fields("POST / HTTP/1.1\r\nContent-Lengthy: 4\r\n\r\n").content_length);
}
