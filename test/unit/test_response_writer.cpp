// Unit tests of the responses the server writes itself (server/response_writer): the
// head on its own, then whole exchanges through a RequestReader over a socket pair,
// read back by a client that frames responses by their Content-Length, as any HTTP
// client does. A framing mistake (a body for HEAD, a wrong length, a lost or extra
// byte between pipelined responses) makes the next response unreadable here.
#include "loader/configuration.hpp"
#include "server/access_log.hpp"
#include "server/request_reader.hpp"
#include "server/response_writer.hpp"
#include "test/unit/pipeline_test_parts.hpp"

#include <catch2/catch.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace flexilib;
using server::ConnectionTerms;
using server::Ending;
using server::ResponseMessage;

namespace {

using test::test_library;

TEST_CASE("response head: the status line and the fields in order before the server's own",
          "[response-writer]") {
  static char name1[] = "X-One", value1[] = "1", length[] = "Content-Length", wrong[] = "999",
              name2[] = "x-two", value2[] = "2", connection[] = "connection", close[] = "close";
  flexilib_header fields[] = {{name1, 5, value1, 1},
                              {length, 14, wrong, 3},
                              {name2, 5, value2, 1},
                              {connection, 10, close, 5}};
  ResponseMessage response;
  response.status = 201;
  response.fields = fields;
  response.field_count = 4;
  response.content_type = "application/json";
  std::string out;
  server::append_response_head(out, response, 12, ConnectionTerms{false, 5, 1000});
  CHECK(out == "HTTP/1.1 201 Created\r\nX-One: 1\r\nx-two: 2\r\n"
               "Content-Type: application/json\r\nContent-Length: 12\r\n"
               "Keep-Alive: timeout=5, max=1000\r\n\r\n");

  out.clear();
  response.reason = "Made";
  server::append_response_head(out, response, 0, ConnectionTerms{true, 5, 1000});
  CHECK_THAT(out, Catch::StartsWith("HTTP/1.1 201 Made\r\n"));
  CHECK_THAT(out, Catch::EndsWith("Content-Length: 0\r\nConnection: close\r\n\r\n"));
}

TEST_CASE("response head: no Content-Length for 204 and 304 and no reason for an unknown status",
          "[response-writer]") {
  ResponseMessage response;
  std::string out;
  for (int status : {204, 304}) {
    response.status = status;
    out.clear();
    server::append_response_head(out, response, 5, ConnectionTerms{false, 5, 10});
    CHECK(out.find("Content-Length") == std::string::npos);
  }
  response.status = 299;
  out.clear();
  server::append_response_head(out, response, 0, ConnectionTerms{false, 5, 10});
  CHECK_THAT(out, Catch::StartsWith("HTTP/1.1 299 \r\n"));
}

// One serving thread's worth of server around one connection; bad-response answers
// as its x-mode header says (test/libraries/bad_response.c), counter on /v1.
struct Rig {
  test::ConfigFile config{"writer", "/bad = " + test_library("bad-response") +
                                        "\n/v1 = " + test_library("counter") + "\n"};
  loader::Configuration configuration{config.path, [](std::string_view) {}};
  server::RequestPipeline pipeline{configuration, test::small_limits(2000), nullptr, nullptr};
  server::RequestReader reader{pipeline};
  server::ServingThread thread{0, 8192};
  int client = -1;
  std::unique_ptr<server::Connection> connection;

  Rig() {
    REQUIRE(configuration.reload().applied);
    int ends[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) == 0);
    client = ends[1];
    connection =
        std::make_unique<server::Connection>(ends[0], "127.0.0.1", 40000, "127.0.0.1", 8069);
    thread.buffers.input.resize(test::small_limits(2000).max_head_bytes);
    server::Arena::set_current(&thread.arena); // flexilib_alloc, as on a serving thread
  }
  ~Rig() {
    server::Arena::set_current(nullptr);
    ::close(client);
  }

  void send(std::string_view bytes) const {
    REQUIRE(::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()));
  }
  // What the server writes, until `expected` whole responses have come (10 s at most).
  std::string receive(size_t expected, const std::vector<bool> &head_only) const {
    std::string all;
    char chunk[65536];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (complete_responses(all, head_only) < expected &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd entry{client, POLLIN, 0};
      if (::poll(&entry, 1, 100) <= 0) continue;
      const ssize_t got = ::recv(client, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got == 0) break;
      if (got > 0) all.append(chunk, size_t(got));
    }
    return all;
  }
  // Serves while a client thread reads, so that a response larger than the socket
  // buffer can go out, and sends what was kept for the client.
  std::pair<Ending, std::string> serve_and_receive(size_t expected,
                                                   const std::vector<bool> &head_only = {}) {
    std::string received;
    std::thread reader_thread([&] { received = receive(expected, head_only); });
    const Ending ending = reader.serve(*connection, thread);
    // What the client was slow to take waits with the connection, as for a worker
    // pool, which sends it once the socket is writable.
    while (connection->unsent.send_to(connection->fd) == server::SendProgress::blocked) {
      pollfd entry{connection->fd, POLLOUT, 0};
      ::poll(&entry, 1, 1000);
    }
    reader_thread.join();
    return {ending, received};
  }

  // How many whole responses `bytes` holds, framed by Content-Length (none after a
  // response to HEAD: `head_only` says which ones).
  static size_t complete_responses(std::string_view bytes, const std::vector<bool> &head_only) {
    size_t count = 0;
    for (;;) {
      const size_t head_end = bytes.find("\r\n\r\n");
      if (head_end == std::string_view::npos) return count;
      size_t length = 0;
      const std::string_view head = bytes.substr(0, head_end + 4);
      const size_t field = head.find("\r\nContent-Length: ");
      if (field != std::string_view::npos)
        std::from_chars(head.data() + field + 18, head.data() + head.size(), length);
      if (count < head_only.size() && head_only[count]) length = 0;
      if (bytes.size() < head_end + 4 + length) return count;
      bytes.remove_prefix(head_end + 4 + length);
      ++count;
    }
  }
};

struct Parsed {
  int status = 0;
  std::string head;
  std::string body;
};

// Splits `bytes` into responses as a client would: a head, then Content-Length bytes
// of body (none for a response to HEAD: `head_only` says which ones). Fails the
// test on anything that is not a well-framed response.
std::vector<Parsed> parse_responses(std::string_view bytes, const std::vector<bool> &head_only) {
  std::vector<Parsed> responses;
  for (size_t i = 0; !bytes.empty(); ++i) {
    const size_t head_end = bytes.find("\r\n\r\n");
    REQUIRE(head_end != std::string_view::npos);
    Parsed parsed;
    parsed.head = std::string(bytes.substr(0, head_end + 4));
    REQUIRE(parsed.head.starts_with("HTTP/1.1 "));
    std::from_chars(parsed.head.data() + 9, parsed.head.data() + 12, parsed.status);
    size_t length = 0;
    const size_t field = parsed.head.find("\r\nContent-Length: ");
    if (field != std::string::npos)
      std::from_chars(parsed.head.data() + field + 18, parsed.head.data() + parsed.head.size(),
                      length);
    if (i < head_only.size() && head_only[i]) length = 0;
    bytes.remove_prefix(head_end + 4);
    REQUIRE(bytes.size() >= length);
    parsed.body = std::string(bytes.substr(0, length));
    bytes.remove_prefix(length);
    responses.push_back(std::move(parsed));
  }
  return responses;
}

} // namespace

TEST_CASE(
    "response writer: HEAD gets the length of the body but not the body and the connection goes on",
    "[response-writer]") {
  Rig rig;
  rig.send("HEAD /bad HTTP/1.1\r\nx-mode: big\r\n\r\nGET /bad HTTP/1.1\r\nHost: a\r\n\r\n");
  const auto [ending, bytes] = rig.serve_and_receive(2, {true, false});
  CHECK(ending == Ending::none);
  const std::vector<Parsed> responses = parse_responses(bytes, {true, false});
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK_THAT(responses[0].head, Catch::Contains("\r\nContent-Length: 10485760\r\n"));
  CHECK(responses[1].status == 200);
  CHECK(responses[1].body == "ok");
}

TEST_CASE("response writer: pipelined requests with and without bodies and errors among them",
          "[response-writer]") {
  Rig rig;
  rig.send("GET /v1/a HTTP/1.1\r\nHost: a\r\n\r\n"
           "POST /bad HTTP/1.1\r\nContent-Length: 5\r\nx-mode: content-type\r\n\r\nhello"
           "GET /nowhere HTTP/1.1\r\n\r\n"
           "GET /bad HTTP/1.1\r\nx-mode: status-9999\r\n\r\n"
           "GET /bad HTTP/1.1\r\nx-mode: empty\r\n\r\n"
           "PUT /bad HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
           "GET /bad HTTP/1.1\r\n\r\n");
  const auto [ending, bytes] = rig.serve_and_receive(7);
  CHECK(ending == Ending::none);
  const std::vector<Parsed> responses = parse_responses(bytes, {});
  REQUIRE(responses.size() == 7);
  CHECK(responses[0].status == 200);
  CHECK(responses[0].body == "v1");
  CHECK(responses[1].status == 200);
  CHECK_THAT(responses[1].head, Catch::Contains("\r\nContent-Type: application/x-test\r\n"));
  CHECK(responses[2].status == 404);
  CHECK(responses[2].body == "404 Not Found: no route matches\n");
  CHECK(responses[3].status == 500);
  CHECK(responses[4].status == 200);
  CHECK(responses[4].body.empty());
  CHECK_THAT(responses[4].head, Catch::Contains("\r\nContent-Length: 0\r\n"));
  CHECK(responses[5].status == 200);
  CHECK(responses[6].body == "ok");
  for (const Parsed &response : responses)
    CHECK_THAT(response.head, Catch::EndsWith("Keep-Alive: timeout=5, max=1000\r\n\r\n"));
  CHECK(rig.connection->requests_served == 7);
}

TEST_CASE("response writer: a large body is sent whole and then the next response",
          "[response-writer]") {
  Rig rig;
  rig.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\nGET /v1/b HTTP/1.1\r\n\r\n");
  // The turn ends once the client is slower than the socket; the next one serves the
  // second request.
  const auto [ending, bytes] = rig.serve_and_receive(1);
  CHECK(ending == Ending::none);
  const auto [next_ending, next_bytes] = rig.serve_and_receive(1);
  CHECK(next_ending == Ending::none);
  const std::vector<Parsed> responses = parse_responses(bytes + next_bytes, {});
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].body == std::string(10 * 1024 * 1024, 'x'));
  CHECK(responses[1].body == "v1");
}

TEST_CASE("response writer: Connection: close and HTTP/1.0 end the connection after the response",
          "[response-writer]") {
  for (const char *request :
       {"GET /bad HTTP/1.1\r\nConnection: close\r\n\r\nGET /bad HTTP/1.1\r\n\r\n",
        "GET /bad HTTP/1.0\r\n\r\nGET /bad HTTP/1.1\r\n\r\n",
        "POST /bad HTTP/1.1\r\nConnection: close\r\nContent-Length: 1\r\n"
        "\r\nxGET /bad HTTP/1.1\r\n\r\n"}) {
    Rig rig;
    rig.send(request);
    const auto [ending, bytes] = rig.serve_and_receive(1);
    CHECK(ending == Ending::close);
    const std::vector<Parsed> responses = parse_responses(bytes, {});
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].body == "ok");
    CHECK_THAT(responses[0].head, Catch::EndsWith("\r\nConnection: close\r\n\r\n"));
  }
}

TEST_CASE("response writer: a malformed request line is refused and the connection closes",
          "[response-writer]") {
  for (const char *line :
       {"FETCH /bad HTTP/1.1", "GET /bad HTTP/2.0", "GET /bad", "GET / x HTTP/1.1"}) {
    Rig rig;
    rig.send(std::string(line) + "\r\n\r\nGET /bad HTTP/1.1\r\n\r\n");
    const auto [ending, bytes] = rig.serve_and_receive(1);
    CHECK(ending != Ending::none);
    const std::vector<Parsed> responses = parse_responses(bytes, {});
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 400);
  }
}

TEST_CASE("access log line: milliseconds with three decimals as printf gives them",
          "[response-writer]") {
  for (double ms : {0.0, 0.0004, 0.0005, 0.042, 0.0519, 1.5, 12.3456, 999.9996, 12345.678, -1.0}) {
    char line[256];
    const size_t length = server::format_access_log_line(
        {"127.0.0.1:1", "GET / HTTP/1.1", 200, ms, 2, ms, 8192, 32}, line, sizeof line);
    char expected_ms[64];
    std::snprintf(expected_ms, sizeof expected_ms, "%.3f", ms);
    INFO(ms);
    CHECK(std::string(line, length) ==
          "127.0.0.1:1 - - \"GET / HTTP/1.1\" 200 ttfb " + std::string(expected_ms) + "ms 2 ttlb " +
              std::string(expected_ms) + "ms (pre-alloc: 8192, alloc: 32)\n");
  }
}
