// Unit tests of how an upstream's answer is read: the response head (status, fields,
// framing, what is refused) and the chunked decoder.
#include "upstream/chunked_decoder.hpp"
#include "upstream/upstream_response_head.hpp"

#include <catch2/catch.hpp>

#include <list>
#include <string>

using namespace flexilib::upstream;

namespace {

// The head's views point into the text, which must outlive them: every text parsed
// here is kept for the test run.
ResponseHead parsed(const std::string &source, bool head_request = false) {
  static std::list<std::string> texts;
  const std::string &text = texts.emplace_back(source);
  ResponseHead head;
  const HeadParse parse = parse_response_head(text, head_request, 100, head);
  REQUIRE(parse.length == text.size());
  REQUIRE(parse.problem.empty());
  return head;
}

std::string problem_with(const std::string &text) {
  ResponseHead head;
  const HeadParse parse = parse_response_head(text, false, 100, head);
  REQUIRE(parse.length > 0);
  return std::string(parse.problem);
}

// Decodes `wire` fed in pieces of `piece` bytes; returns the data, or "!" if malformed.
std::string decoded(std::string wire, size_t piece, bool *complete = nullptr) {
  ChunkedDecoder decoder;
  std::string data;
  for (size_t at = 0; at < wire.size() && !decoder.complete(); at += piece) {
    const size_t size = std::min(piece, wire.size() - at);
    const ChunkedDecoder::Step step = decoder.decode(wire.data() + at, size);
    if (decoder.malformed()) return "!";
    data.append(wire.data() + at, step.data);
  }
  if (complete != nullptr) *complete = decoder.complete();
  return data;
}

} // namespace

TEST_CASE("upstream head: status, reason, fields and keep-alive", "[upstream]") {
  const ResponseHead head =
      parsed("HTTP/1.1 201 Created Now\r\nX-A: 1\r\nX-B:two \r\nContent-Length: 5\r\n\r\n");
  CHECK(head.status == 201);
  CHECK(head.reason == "Created Now");
  REQUIRE(head.fields.size() == 3);
  CHECK(head.fields[1].name == "X-B");
  CHECK(head.fields[1].value == "two");
  CHECK(head.framing == BodyFraming::length);
  CHECK(head.content_length == 5);
  CHECK(head.reusable);
  CHECK_FALSE(parsed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").reusable);
  CHECK(parsed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").reusable);
  CHECK_FALSE(parsed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable);
  CHECK(parsed("HTTP/1.1 204\r\n\r\n").reason.empty());
}

TEST_CASE("upstream head: how the body is framed", "[upstream]") {
  CHECK(parsed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").framing ==
        BodyFraming::chunked);
  const ResponseHead until_close = parsed("HTTP/1.1 200 OK\r\n\r\n");
  CHECK(until_close.framing == BodyFraming::until_close);
  CHECK_FALSE(until_close.reusable);
  CHECK(parsed("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n").framing ==
        BodyFraming::none);
  CHECK(parsed("HTTP/1.1 204 No Content\r\n\r\n").framing == BodyFraming::none);
  CHECK(parsed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true).framing == BodyFraming::none);
  CHECK(
      parsed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Length: 9\r\n\r\n").content_length ==
      9);
}

TEST_CASE("upstream head: an incomplete head waits for more", "[upstream]") {
  ResponseHead head;
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nX-A: 1\r\n", false, 100, head).length == 0);
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r", false, 100, head).length == 0);
  CHECK(parse_response_head("", false, 100, head).length == 0);
}

TEST_CASE("upstream head: what could split or smuggle a response is refused", "[upstream]") {
  CHECK(problem_with("HTTP/1.1 200 OK\r\nX-A: a\rInjected: 1\r\n\r\n") ==
        "a CR, LF or NUL in a header value");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nX-A: a\nInjected: 1\r\n\r\n") ==
        "a CR, LF or NUL in a header value");
  CHECK(problem_with(std::string("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n", 30)) ==
        "a CR, LF or NUL in a header value");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n") == "a folded header line");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nX A: a\r\n\r\n") == "a header name that is not a token");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nX-A : a\r\n\r\n") == "a header name that is not a token");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nno colon\r\n\r\n") == "a header line without a colon");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") ==
        "Content-Length fields that disagree");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n") ==
        "an invalid Content-Length");
  CHECK(
      problem_with("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n") ==
      "both Content-Length and Transfer-Encoding");
  CHECK(problem_with("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") ==
        "a transfer coding other than chunked");
  CHECK(problem_with("HTTP/2 200\r\n\r\n") == "not an HTTP/1.x status line");
  CHECK(problem_with("HTTP/1.1 2000 OK\r\n\r\n") == "a status that is not three digits");
  CHECK(problem_with("HTTP/1.1 099 Low\r\n\r\n") == "a status outside 100-599");
  CHECK(problem_with("HTTP/1.1 200 O\x01K\r\n\r\n").empty()); // control bytes but CR/LF/NUL pass
}

TEST_CASE("upstream head: more fields than the limit are refused", "[upstream]") {
  std::string text = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 101; ++i)
    text += "X-" + std::to_string(i) + ": v\r\n";
  text += "\r\n";
  CHECK(problem_with(text) == "too many header fields");
}

TEST_CASE("chunked decoder: data whole, in any pieces, framing and trailers dropped",
          "[upstream]") {
  const std::string wire = "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-T: 1\r\n\r\n";
  for (size_t piece : {size_t(1), size_t(2), size_t(7), wire.size()}) {
    bool complete = false;
    CHECK(decoded(wire, piece, &complete) == "hello world!");
    CHECK(complete);
  }
  bool complete = true;
  CHECK(decoded("5\r\nhel", 3, &complete) == "hel");
  CHECK_FALSE(complete);
}

TEST_CASE("chunked decoder: what follows the body is not consumed", "[upstream]") {
  std::string wire = "2\r\nab\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
  ChunkedDecoder decoder;
  const ChunkedDecoder::Step step = decoder.decode(wire.data(), wire.size());
  CHECK(decoder.complete());
  CHECK(step.data == 2);
  CHECK(step.consumed == 12);
}

TEST_CASE("chunked decoder: malformed framing is refused", "[upstream]") {
  CHECK(decoded("x\r\n", 1) == "!");
  CHECK(decoded("5\r\nhelloX\r\n", 4) == "!");
  CHECK(decoded("5\nhello\r\n", 4) == "!");
  CHECK(decoded("ffffffffffffffffff\r\n", 4) == "!");   // a size that would overflow
  CHECK(decoded("1;a\nb\r\nx\r\n0\r\n\r\n", 3) == "!"); // a bare LF in an extension
}

TEST_CASE("chunked decoder: leading zeros make no size too large", "[upstream]") {
  // Sixteen digits, but the size is 3: only the value is bounded (2^60).
  bool complete = false;
  CHECK(decoded("0000000000000003\r\nabc\r\n0\r\n\r\n", 5, &complete) == "abc");
  CHECK(complete);
}
