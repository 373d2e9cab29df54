// Unit tests of turning a raw request head into the C ABI's request line and headers.
#include "server/request_head.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace flexilib::server;

namespace {
std::string name_of(const flexilib_header &h) {
  return {h.name_ptr, h.name_len};
}
std::string value_of(const flexilib_header &h) {
  return {h.value_ptr, h.value_len};
}
} // namespace

TEST_CASE("head end is found after the first blank CRLF line", "[head]") {
  CHECK(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 27);
  CHECK(find_head_end("GET / HTTP/1.1\r\n\r\nBODY") == 18);
  CHECK(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n") == 0);
  CHECK(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r") == 0);
  CHECK(find_head_end("") == 0);
}

TEST_CASE("headers keep arrival order, original case and repeats", "[head]") {
  const std::string head = "POST /c?x=1 HTTP/1.1\r\nzeta: 1\r\nHost: iam.example\r\n"
                           "Accept:  */*  \r\nzeta: 2\r\nX-Empty:\r\n\r\n";
  Arena arena(4096);
  RequestHead parsed = parse_request_head(head, arena);
  CHECK(parsed.request_line == "POST /c?x=1 HTTP/1.1");
  REQUIRE(parsed.header_count == 5);
  CHECK(name_of(parsed.headers[0]) == "zeta");
  CHECK(value_of(parsed.headers[0]) == "1");
  CHECK(name_of(parsed.headers[1]) == "Host");
  CHECK(value_of(parsed.headers[1]) == "iam.example");
  CHECK(value_of(parsed.headers[2]) == "*/*"); // surrounding whitespace trimmed
  CHECK(value_of(parsed.headers[3]) == "2");
  CHECK(name_of(parsed.headers[4]) == "X-Empty");
  CHECK(value_of(parsed.headers[4]).empty());
  // The array came from the arena: its bytes count in the request's "alloc" figure.
  CHECK(arena.allocated() >= 5 * sizeof(flexilib_header));
}

TEST_CASE("header values point into the head, not into copies", "[head]") {
  const std::string head = "GET / HTTP/1.1\r\nA: b\r\n\r\n";
  Arena arena(1024);
  RequestHead parsed = parse_request_head(head, arena);
  REQUIRE(parsed.header_count == 1);
  CHECK(parsed.headers[0].name_ptr == head.data() + 16);
}

TEST_CASE("lines without a colon or without CRLF are skipped like cpp-httplib does", "[head]") {
  const std::string head =
      "GET / HTTP/1.1\r\nno colon here\r\n: empty name\r\nbare: lf\nGood: yes\r\n\r\n";
  Arena arena(1024);
  RequestHead parsed = parse_request_head(head, arena);
  REQUIRE(parsed.header_count == 1);
  CHECK(name_of(parsed.headers[0]) == "Good");
}

TEST_CASE("a head without headers has a request line and no header array", "[head]") {
  Arena arena(1024);
  RequestHead parsed = parse_request_head("GET / HTTP/1.0\r\n\r\n", arena);
  CHECK(parsed.request_line == "GET / HTTP/1.0");
  CHECK(parsed.header_count == 0);
  CHECK(arena.allocated() == 0);
}

TEST_CASE("header lookup is case-insensitive and returns the first", "[head]") {
  const std::string head = "GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
  Arena arena(1024);
  RequestHead parsed = parse_request_head(head, arena);
  const flexilib_header *found = find_header(parsed.headers, parsed.header_count, "X-a");
  REQUIRE(found != nullptr);
  CHECK(value_of(*found) == "1");
  CHECK(find_header(parsed.headers, parsed.header_count, "X-B") == nullptr);
  CHECK(find_header(parsed.headers, parsed.header_count, "X-") == nullptr);
}
