// Integration tests: what clients that break the rules send, over raw sockets. Each
// case gets the right status or a clean close, and the server keeps serving after it.
// Where a comment says "cpp-httplib alone", that is what the server answered before
// flexilib checked the case itself: what the test guards against.
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

using namespace flexilib::test;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The limits every hostile-input server runs with: short, so that the timeouts can be
// watched happening, and a small body limit that is cheap to exceed.
constexpr int read_timeout_ms = 1000;
constexpr int write_timeout_ms = 2000;
constexpr int max_body_kb = 4;
constexpr size_t big_response_bytes = 10 * 1024 * 1024; // libbad-response's x-mode: big

// How long a test waits for an answer that should come at once: generous, because
// sanitizer builds and a parallel ctest are slow, yet far below every timeout above.
constexpr Deadline answer_deadline = 3s;

int milliseconds_left(Clock::time_point end) {
  const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now()).count();
  return left > 0 ? int(left) : 0;
}

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// What a connection received: the bytes, whether the server closed (or reset) it
// before the deadline, and how long that took.
struct Reply {
  std::string bytes;
  bool closed = false;
  bool reset = false; // closed by a reset rather than an orderly end of file
  milliseconds elapsed{};
};

// A client socket that sends exactly the bytes a test gives it and can stop anywhere:
// half a head, half a body, or reading nothing at all.
class RawClient {
public:
  // A small receive buffer makes a slow reader; it is set before connecting so that
  // the window the server sees is small from the first byte.
  explicit RawClient(int port, int receive_buffer_bytes = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (receive_buffer_bytes > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
      close();
      return;
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawClient() { close(); }
  RawClient(const RawClient &) = delete;
  RawClient &operator=(const RawClient &) = delete;
  RawClient(RawClient &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

  bool connected() const { return fd_ >= 0; }

  // The client's port, which names this connection in the server's request log.
  int local_port() const {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    ::getsockname(fd_, reinterpret_cast<sockaddr *>(&local), &length);
    return ntohs(local.sin_port);
  }

  // Sends all of `bytes`; false when the server closes or stops reading first. A server
  // that refuses a request may do either, and what it answered still counts.
  bool send(std::string_view bytes, Deadline deadline = answer_deadline) {
    const auto end = Clock::now() + deadline;
    while (!bytes.empty()) {
      if (!wait_until_ready(POLLOUT, end)) return false;
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (sent <= 0) return false;
      bytes.remove_prefix(size_t(sent));
    }
    return true;
  }

  // Receives until `enough` bytes have come, the server closes, or the deadline passes.
  Reply receive(Deadline deadline = answer_deadline, size_t enough = SIZE_MAX) {
    const auto start = Clock::now();
    const auto end = start + deadline;
    Reply reply;
    char buffer[64 * 1024];
    while (reply.bytes.size() < enough && wait_until_ready(POLLIN, end)) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) { // end of file, or a reset: either way the server is done with it
        reply.closed = true;
        reply.reset = got < 0 && errno == ECONNRESET;
        break;
      }
      reply.bytes.append(buffer, size_t(got));
    }
    reply.elapsed = since(start);
    return reply;
  }

  // Sends `byte` again and again, `interval` apart, for as long as the server keeps the
  // connection open; returns when it closes it (closed) or the deadline passes.
  Reply trickle(char byte, milliseconds interval, Deadline deadline) {
    const auto start = Clock::now();
    const auto end = start + deadline;
    Reply reply;
    while (Clock::now() < end && ::send(fd_, &byte, 1, MSG_NOSIGNAL) == 1) {
      // The wait between two bytes is also the watch for the server closing.
      pollfd entry{fd_, POLLIN | POLLRDHUP, 0};
      if (::poll(&entry, 1, int(interval.count())) > 0) break;
    }
    reply.closed = receive(answer_deadline).closed;
    reply.elapsed = since(start);
    return reply;
  }

  // Goes away at once, as a client that crashes or loses interest does.
  void close() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

private:
  bool wait_until_ready(short events, Clock::time_point end) const {
    for (;;) {
      pollfd entry{fd_, events, 0};
      const int ready = ::poll(&entry, 1, milliseconds_left(end));
      if (ready < 0 && errno == EINTR) continue;
      return ready > 0;
    }
  }

  int fd_ = -1;
};

// Sends `request` on a new connection and receives until the server closes it or the
// deadline passes.
Reply exchange(int port, std::string_view request, Deadline deadline = answer_deadline) {
  RawClient client(port);
  client.send(request, deadline);
  return client.receive(deadline);
}

// One response as it came over the wire.
struct Response {
  int status = 0;
  std::string body;
};

// Splits what a connection received into responses. flexilib frames every response
// with a Content-Length header spelt like this, so nothing more general is needed;
// an incomplete last response is left out.
std::vector<Response> responses_in(std::string_view bytes) {
  std::vector<Response> responses;
  while (bytes.starts_with("HTTP/1.1 ") && bytes.size() >= 12) {
    const size_t head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string_view::npos) break;
    const std::string head(bytes.substr(0, head_end + 2));
    const size_t length_at = head.find("\r\nContent-Length: ");
    const size_t length =
        length_at == std::string::npos ? 0 : std::strtoul(head.c_str() + length_at + 18, {}, 10);
    bytes.remove_prefix(head_end + 4);
    if (bytes.size() < length) break;
    responses.push_back({std::atoi(head.c_str() + 9), std::string(bytes.substr(0, length))});
    bytes.remove_prefix(length);
  }
  return responses;
}

// The status of the first response, 0 when there was none (a silent close).
int status_of(const Reply &reply) {
  const std::vector<Response> responses = responses_in(reply.bytes);
  return responses.empty() ? 0 : responses.front().status;
}

// The target the echoing library (libflexilib-layout-only) saw: its body's first line.
std::string echoed_target(const Response &response) {
  if (!response.body.starts_with("target=")) return {};
  return response.body.substr(7, response.body.find('\n') - 7);
}

std::string echoed_content(const Response &response) {
  const size_t at = response.body.find("\ncontent=");
  if (at == std::string::npos) return {};
  return response.body.substr(at + 9, response.body.find('\n', at + 9) - at - 9);
}

// "/bad" answers as header x-mode says (libbad-response); everything else is echoed.
std::unique_ptr<ServerProcess> start_hostile_server(const TempDir &dir,
                                                    std::map<std::string, std::string> env = {}) {
  for (const auto &[name, value] : {std::pair{"READ_TIMEOUT_MS", std::to_string(read_timeout_ms)},
                                    {"WRITE_TIMEOUT_MS", std::to_string(write_timeout_ms)},
                                    {"MAX_BODY_KB", std::to_string(max_body_kb)}})
    env.emplace(name, value);
  return start_server(dir,
                      "/bad = " + test_library("bad-response") +
                          "\n/ = " + test_library("flexilib-layout-only") + "\n",
                      std::move(env));
}

// The supervisor would restart a crashed serving process, and a request alone would
// not notice: its log line is the proof.
bool serving_process_died(const ServerProcess &server) {
  for (const std::string &line : server.stderr_lines())
    if (line.find("serving process died") != std::string::npos ||
        line.find("serving process exited") != std::string::npos)
      return true;
  return false;
}

// After every hostile case: a normal request is answered and nothing crashed.
void check_still_serving(ServerProcess &server) {
  auto response = client_for(server).Get("/normal");
  CHECK(response);
  if (response) CHECK(response->status == 200);
  CHECK_FALSE(serving_process_died(server));
}

// A request the server must refuse with `status`, after which it closes the
// connection (the rest of its bytes cannot be trusted: request smuggling).
struct Refusal {
  std::string name;
  std::string request;
  int status;
};

void check_refusals(ServerProcess &server, const std::vector<Refusal> &refusals) {
  for (const Refusal &refusal : refusals) {
    INFO(refusal.name);
    const Reply reply = exchange(server.port(), refusal.request);
    INFO("answer: " << reply.bytes.substr(0, 200));
    CHECK(status_of(reply) == refusal.status);
    CHECK(responses_in(reply.bytes).size() == 1); // nothing after the refusal was served
    CHECK(reply.closed);
    check_still_serving(server);
  }
}

// Waits for the request log line of `request_line` on the client's connection: the
// server has finished with the request (written its response, or handed it over).
bool logged_request(ServerProcess &server, const RawClient &client,
                    const std::string &request_line) {
  const std::string start =
      "127.0.0.1:" + std::to_string(client.local_port()) + " - - \"" + request_line + " ";
  return server.wait_for_stdout([&](const std::string &line) { return line.starts_with(start); })
      .has_value();
}

// Asks for libbad-response's 10 MB answer, reads none of it, and waits until the server
// has logged it: most of it is then waiting with the connection.
void ask_for_big_response(ServerProcess &server, RawClient &client) {
  REQUIRE(client.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\n"));
  REQUIRE(logged_request(server, client, "GET /bad"));
}

std::string repeated(int count, const std::string &text) {
  std::string result;
  for (int i = 0; i < count; ++i)
    result += text;
  return result;
}

} // namespace

TEST_CASE("hostile: malformed request lines get 400 and the connection closed", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  check_refusals(*server, {
                              {"not a request line", "NOT A REQUEST\r\n\r\n", 400},
                              {"no HTTP version", "GET /\r\n\r\n", 400},
                              {"no target", "GET  HTTP/1.1\r\n\r\n", 400},
                              {"a word after the version", "GET / HTTP/1.1 extra\r\n\r\n", 400},
                              {"a version that is not HTTP", "GET / HTXP/1.1\r\n\r\n", 400},
                              {"only a method", "GET\r\n\r\n", 400},
                          });
}

TEST_CASE("hostile: bare LF line endings get 400 at once", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  check_refusals(*server,
                 {
                     {"a bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
                     // cpp-httplib alone: 200; the line "A: 1" is dropped without a word.
                     {"a header line ending in a bare LF",
                      "GET / HTTP/1.1\r\nA: 1\nB: 2\r\nConnection: close\r\n\r\n", 400},
                 });

  // A head with only bare LFs is complete by LF rules: like the cases above it gets
  // 400, at once, rather than a wait for a CRLF CRLF that never comes.
  const Reply reply = exchange(server->port(), "GET / HTTP/1.1\nHost: a\n\n");
  CHECK(status_of(reply) == 400);
  CHECK(reply.closed);
  CHECK(reply.elapsed < milliseconds(read_timeout_ms / 2));
  check_still_serving(*server);
}

TEST_CASE("hostile: invalid header names get 400", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  // RFC 9112 5.1: whitespace between a field name and its colon MUST get 400; the
  // other cases are not field lines at all. cpp-httplib alone answers 200 to each: it
  // passes "Bad Name", "Host " and "Ba\x01d" on and drops the line that starts with a
  // colon and the folded line.
  check_refusals(*server,
                 {
                     {"a space inside the name",
                      "GET / HTTP/1.1\r\nBad Name: x\r\nConnection: close\r\n\r\n", 400},
                     {"a space before the colon",
                      "GET / HTTP/1.1\r\nHost : x\r\nConnection: close\r\n\r\n", 400},
                     {"the colon first", "GET / HTTP/1.1\r\n: x\r\nConnection: close\r\n\r\n", 400},
                     {"a control character",
                      "GET / HTTP/1.1\r\nBa\x01"
                      "d: x\r\nConnection: close\r\n\r\n",
                      400},
                     {"a folded line (obs-fold)",
                      "GET / HTTP/1.1\r\nA: x\r\n folded\r\nConnection: close\r\n\r\n", 400},
                 });

  // Why it matters: a proxy in front that trims the space reads a body these heads
  // frame, flexilib reads none and takes the body for the next request. flexilib
  // today answers 200 and then a 400 for the "body".
  check_refusals(*server, {
                              {"Transfer-Encoding with a space before the colon",
                               "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n"
                               "0\r\n\r\n",
                               400},
                              {"Content-Length with a space before the colon",
                               "POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"
                               "helloGET /smuggled HTTP/1.1\r\n\r\n",
                               400},
                          });
}

TEST_CASE("hostile: identical Content-Lengths frame one body, conflicting ones get 400",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);

  // RFC 9112 6.3 lets a recipient take identical values as one; the body must then end
  // exactly where the next request starts.
  const Reply identical =
      exchange(server->port(), "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"
                               "abGET /after HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::vector<Response> responses = responses_in(identical.bytes);
  REQUIRE(responses.size() == 2);
  CHECK(responses[0].status == 200);
  CHECK(echoed_content(responses[0]) == "ab");
  CHECK(echoed_target(responses[1]) == "/after");
  check_still_serving(*server);

  check_refusals(
      *server,
      {
          {"two different values",
           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
          {"two different values, the second one smaller",
           "POST / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 0\r\n\r\n"
           "GET /x HTTP/1.1\r\n\r\n",
           400},
          {"a list of different values", "POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab", 400},
          {"not a number", "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400},
          {"negative", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
          {"beyond 64 bits", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
           400},
      });
}

TEST_CASE("hostile: Content-Length with Transfer-Encoding gets 400, the smuggled request "
          "is never served",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  const std::string smuggled = "0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
  check_refusals(
      *server,
      {
          {"Content-Length first",
           "POST / HTTP/1.1\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled,
           400},
          {"Transfer-Encoding first",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + smuggled,
           400},
          {"Content-Length 0",
           "POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled,
           400},
          {"a coding other than chunked",
           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + smuggled, 501},
          {"chunked twice",
           "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
               smuggled,
           501},
      });
}

TEST_CASE("hostile: a body that stops arriving is closed after READ_TIMEOUT_MS", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  const std::vector<std::pair<std::string, std::string>> stalled{
      {"a chunked body that never ends",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"},
      {"a Content-Length body that stops short",
       "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nab"},
  };
  for (const auto &[name, request] : stalled) {
    INFO(name);
    RawClient client(server->port());
    REQUIRE(client.send(request));
    const Reply reply = client.receive(milliseconds(read_timeout_ms) + answer_deadline);
    CHECK(reply.closed);
    CHECK(reply.elapsed >= milliseconds(read_timeout_ms * 9 / 10));
    CHECK(reply.elapsed < milliseconds(read_timeout_ms) + 1500ms);
    // The request was not malformed, it did not come in time: 408, or a silent close
    // (cpp-httplib alone: 400).
    INFO("answer: " << reply.bytes);
    CHECK((status_of(reply) == 408 || reply.bytes.empty()));
    check_still_serving(*server);
  }
}

TEST_CASE("hostile: a chunked body over MAX_BODY_KB is refused, never handed to the library",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  const std::string kilobyte_chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
  const std::vector<std::pair<std::string, std::string>> oversized{
      {"many small chunks", repeated(4 * max_body_kb, kilobyte_chunk) + "0\r\n\r\n"},
      {"one chunk over the limit", "4000\r\n" + std::string(16 * 1024, 'x') + "\r\n0\r\n\r\n"},
      {"a chunk size announcing more than the limit", "100000\r\nxxxx"},
  };
  for (const auto &[name, body] : oversized) {
    INFO(name);
    // cpp-httplib alone: 200 for the first two, with the whole body handed on: it
    // applies its payload limit to Content-Length bodies only.
    const Reply reply = exchange(server->port(), "POST / HTTP/1.1\r\nTransfer-Encoding: "
                                                 "chunked\r\nConnection: close\r\n\r\n" +
                                                     body);
    INFO("answer: " << reply.bytes.substr(0, 200));
    CHECK((status_of(reply) == 413 || reply.bytes.empty()));
    CHECK(reply.closed);
    check_still_serving(*server);
  }
}

TEST_CASE("hostile: thousands of header fields get 431", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  check_refusals(*server,
                 {
                     {"5000 fields, far over MAX_HEADER_KB",
                      "GET / HTTP/1.1\r\n" + repeated(5000, "X-Field: value\r\n") + "\r\n", 431},
                     {"3000 tiny fields, within MAX_HEADER_KB but over MAX_HEADER_COUNT",
                      "GET / HTTP/1.1\r\n" + repeated(3000, "a:\r\n") + "\r\n", 431},
                 });
}

TEST_CASE("hostile: NUL and bare CR bytes in a request get 400", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  using namespace std::string_literals;
  check_refusals(
      *server,
      {
          {"NUL in the target", "GET /a\0b HTTP/1.1\r\n\r\n"s, 400},
          {"NUL in the method", "G\0T / HTTP/1.1\r\n\r\n"s, 400},
          // RFC 9110 5.5: a field value with NUL, CR or LF MUST be refused or each such
          // byte replaced by a space. cpp-httplib alone: 200, the bytes are passed on.
          {"NUL in a header value", "GET / HTTP/1.1\r\nX: a\0b\r\nConnection: close\r\n\r\n"s, 400},
          {"NUL in a header name", "GET / HTTP/1.1\r\nX\0Y: a\r\nConnection: close\r\n\r\n"s, 400},
          {"a bare CR in a header value", "GET / HTTP/1.1\r\nX: a\rb\r\nConnection: close\r\n\r\n"s,
           400},
      });
}

TEST_CASE("hostile: very long targets get 414", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  auto request_for = [](size_t length) {
    return "GET /" + std::string(length, 'a') + " HTTP/1.1\r\n\r\n";
  };
  // The two longer ones fill MAX_HEADER_KB before their request line ends: still, it is
  // the request line that is too long (414, not 431).
  check_refusals(*server, {
                              {"9000 bytes", request_for(9000), 414},
                              {"20000 bytes", request_for(20000), 414},
                              {"100000 bytes", request_for(100000), 414},
                          });
}

TEST_CASE("hostile: pipelined requests in one write are all answered, in order", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);

  const Reply mixed =
      exchange(server->port(), "GET /1 HTTP/1.1\r\n\r\n"
                               "POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
                               "GET /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                               "POST /4 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "2\r\nok\r\n0\r\n\r\n"
                               "GET /5 HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::vector<Response> responses = responses_in(mixed.bytes);
  REQUIRE(responses.size() == 5);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"/1", ""}, {"/2", "hi"}, {"/3", "abc"}, {"/4", "ok"}, {"/5", ""}};
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("response " << i);
    CHECK(responses[i].status == 200);
    CHECK(echoed_target(responses[i]) == expected[i].first);
    CHECK(echoed_content(responses[i]) == expected[i].second);
  }
  CHECK(mixed.closed);
  check_still_serving(*server);

  // More requests than the serving thread's 16 KiB input buffer holds at once.
  std::string many;
  for (int i = 0; i < 200; ++i)
    many +=
        "GET /p" + std::to_string(i) + " HTTP/1.1\r\nX-Pad: " + std::string(100, 'y') + "\r\n\r\n";
  many += "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::vector<Response> answered = responses_in(exchange(server->port(), many).bytes);
  REQUIRE(answered.size() == 201);
  for (int i = 0; i < 200; ++i)
    CHECK(echoed_target(answered[size_t(i)]) == "/p" + std::to_string(i));
  CHECK(echoed_target(answered.back()) == "/last");
  check_still_serving(*server);
}

TEST_CASE("hostile: clients that disconnect mid-body cost nothing", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  // More of them than there are serving threads: a thread kept by one would show.
  for (int i = 0; i < 4; ++i) {
    RawClient content_length(server->port());
    REQUIRE(content_length.send("POST / HTTP/1.1\r\nContent-Length: 3000\r\n\r\n" +
                                std::string(1000, 'x')));
    RawClient chunked(server->port());
    REQUIRE(chunked.send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nxyz"));
    content_length.close();
    chunked.close();
  }
  check_still_serving(*server);
}

// With room for two connections only, a connection the server kept after its client
// left would soon leave none for the normal requests in between.
TEST_CASE("hostile: clients that disconnect mid-response cost nothing", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"MAX_CONNECTIONS", "2"}});
  for (int i = 0; i < 4; ++i) {
    RawClient client(server->port());
    REQUIRE(client.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\n"));
    REQUIRE(client.receive(answer_deadline, 100).bytes.starts_with("HTTP/1.1 200"));
    client.close(); // with most of 10 MB unread
    check_still_serving(*server);
  }
}

TEST_CASE("hostile: slowloris: stalled heads hold no thread and are closed after "
          "READ_TIMEOUT_MS",
          "[hostile]") {
  TempDir dir;
  constexpr int slow_read_timeout_ms = 2000;
  auto server =
      start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "2"},
                                 {"READ_TIMEOUT_MS", std::to_string(slow_read_timeout_ms)}});
  std::vector<RawClient> stalled;
  for (int i = 0; i < 20; ++i) {
    RawClient &client = stalled.emplace_back(server->port());
    REQUIRE(client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: "));
  }
  const auto sent = Clock::now();

  // Ten times as many stalled heads as threads, and a normal request is answered at once.
  const auto asked = Clock::now();
  check_still_serving(*server);
  CHECK(since(asked) < milliseconds(slow_read_timeout_ms / 2));

  for (RawClient &client : stalled) {
    const Reply reply = client.receive(milliseconds(slow_read_timeout_ms) + answer_deadline);
    CHECK(reply.closed);
    CHECK(reply.bytes.empty());
  }
  CHECK(since(sent) >= milliseconds(slow_read_timeout_ms * 9 / 10));
  CHECK(since(sent) < milliseconds(slow_read_timeout_ms) + 2000ms);

  // A head that keeps arriving, a byte every 100 ms, is also closed: the deadline is for
  // the whole head, not for each byte.
  RawClient trickling(server->port());
  REQUIRE(trickling.send("GET / HTTP/1.1\r\nX-Slow: "));
  const Reply trickled = trickling.trickle('a', 100ms, milliseconds(slow_read_timeout_ms) + 3000ms);
  CHECK(trickled.closed);
  CHECK(trickled.elapsed < milliseconds(slow_read_timeout_ms) + 2000ms);
  check_still_serving(*server);
}

TEST_CASE("hostile: slow bodies (a byte at a time) hold no thread", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "2"}});
  // Twice as many as threads; their heads are complete, so they are taken before the
  // normal request, which connects after them.
  std::vector<RawClient> slow_senders;
  slow_senders.reserve(4);
  for (int i = 0; i < 4; ++i) {
    RawClient &client = slow_senders.emplace_back(server->port());
    REQUIRE(client.send("POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"));
  }
  std::vector<std::thread> tricklers;
  for (RawClient &client : slow_senders)
    tricklers.emplace_back([&client] { client.trickle('a', 100ms, 3s); });

  // A server whose threads read bodies would answer only once the bodies stop coming
  // and READ_TIMEOUT_MS passes (about 4 s): each byte restarts the read timeout.
  const auto asked = Clock::now();
  check_still_serving(*server);
  CHECK(since(asked) < milliseconds(read_timeout_ms / 2));
  for (std::thread &trickler : tricklers)
    trickler.join();
  check_still_serving(*server);
}

// After a refusal the server stops writing but reads on until the client stops
// sending: closing with unread bytes would reset the connection, and a reset can
// destroy the refusal before the client has read it.
TEST_CASE("hostile: a refused upload gets its answer and an orderly close while the client "
          "is still sending",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  const std::string body(2 * 1024 * 1024, 'u');
  for (const std::string &head :
       {"POST / HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n",
        std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n")}) {
    INFO(head);
    RawClient client(server->port());
    std::thread sender([&] { client.send(head + body); });
    const Reply reply = client.receive();
    sender.join();
    CHECK(status_of(reply) == 413);
    CHECK(reply.closed);
    CHECK_FALSE(reply.reset);
  }
  check_still_serving(*server);
}

// Bodies too big for a thread's input buffer are collected with the connection as well,
// as long as the CLIENT_BUFFERS_MB budget lasts; past it a thread reads them.
TEST_CASE("hostile: slow large bodies hold no thread, arrive whole, and are closed when "
          "they stall",
          "[hostile]") {
  constexpr size_t body_bytes = 100 * 1024;
  const std::string head =
      "POST /big HTTP/1.1\r\nContent-Length: " + std::to_string(body_bytes) + "\r\n\r\n";
  const std::string body(body_bytes, 'b');
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "2"}, {"MAX_BODY_KB", "1024"}});

  // Twice as many senders as threads, each stopped part-way through its body.
  std::vector<RawClient> senders;
  for (int i = 0; i < 4; ++i) {
    RawClient &client = senders.emplace_back(server->port());
    REQUIRE(client.send(head + body.substr(0, 30 * 1024)));
  }
  const auto asked = Clock::now();
  check_still_serving(*server);
  CHECK(since(asked) < milliseconds(read_timeout_ms / 2));

  // The first two finish their bodies, and the library sees every byte.
  for (int i = 0; i < 2; ++i) {
    REQUIRE(senders[size_t(i)].send(body.substr(30 * 1024)));
    const std::vector<Response> answered =
        responses_in(senders[size_t(i)].receive(answer_deadline, body_bytes + 100).bytes);
    REQUIRE(answered.size() == 1);
    CHECK(answered[0].status == 200);
    CHECK(echoed_content(answered[0]) == body);
  }
  // The other two have stalled: closed after READ_TIMEOUT_MS, each with a line that says so.
  for (int i = 2; i < 4; ++i) {
    const std::string peer = "127.0.0.1:" + std::to_string(senders[size_t(i)].local_port());
    CHECK(server->wait_for_stderr([&](const std::string &line) {
      return line.find(peer + ": request body stopped arriving") != std::string::npos;
    }));
    CHECK(senders[size_t(i)].receive(answer_deadline).closed);
  }
  check_still_serving(*server);
}

TEST_CASE("hostile: with the CLIENT_BUFFERS_MB budget spent, a thread reads a large body",
          "[hostile]") {
  constexpr size_t body_bytes = 100 * 1024;
  TempDir dir;
  auto server = start_hostile_server(dir, {{"MAX_BODY_KB", "1024"}, {"CLIENT_BUFFERS_MB", "0"}});
  RawClient client(server->port());
  REQUIRE(client.send("POST /big HTTP/1.1\r\nContent-Length: " + std::to_string(body_bytes) +
                      "\r\nConnection: close\r\n\r\n" + std::string(body_bytes, 'b')));
  const std::vector<Response> answered = responses_in(client.receive().bytes);
  REQUIRE(answered.size() == 1);
  CHECK(echoed_content(answered[0]) == std::string(body_bytes, 'b'));
  check_still_serving(*server);
}

TEST_CASE("hostile: slow chunked bodies hold no thread, a complete one is served, and the "
          "request behind it",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "2"}});
  const std::string chunked_head = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::vector<RawClient> senders;
  for (int i = 0; i < 4; ++i) {
    RawClient &client = senders.emplace_back(server->port());
    REQUIRE(client.send(chunked_head + "5\r\nhel"));
  }
  const auto asked = Clock::now();
  check_still_serving(*server);
  CHECK(since(asked) < milliseconds(read_timeout_ms / 2));

  // One finishes its body and pipelines a request behind it, in the same write.
  REQUIRE(senders[0].send("lo\r\n6\r\n world\r\n0\r\n\r\n"
                          "GET /behind HTTP/1.1\r\nConnection: close\r\n\r\n"));
  const std::vector<Response> answered = responses_in(senders[0].receive().bytes);
  REQUIRE(answered.size() == 2);
  CHECK(echoed_content(answered[0]) == "hello world");
  CHECK(echoed_target(answered[1]) == "/behind");

  // The others stall, and are closed.
  for (size_t i = 1; i < senders.size(); ++i) {
    const Reply reply = senders[i].receive(milliseconds(read_timeout_ms) + answer_deadline);
    CHECK(reply.closed);
  }
  check_still_serving(*server);
}

TEST_CASE("hostile: a client that expects 100 Continue gets one, then sends its body slowly",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "1"}});
  RawClient client(server->port());
  REQUIRE(client.send("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n"
                      "Connection: close\r\n\r\n"));
  const std::string go_on = "HTTP/1.1 100 Continue\r\n\r\n";
  CHECK(client.receive(answer_deadline, go_on.size()).bytes == go_on);
  REQUIRE(client.send("01234"));
  check_still_serving(*server); // the only thread is not waiting for the rest
  REQUIRE(client.send("56789"));
  const Reply reply = client.receive();
  const std::vector<Response> answered = responses_in(reply.bytes);
  REQUIRE(answered.size() == 1); // and no second "100 Continue" before it
  CHECK(answered[0].status == 200);
  CHECK(echoed_content(answered[0]) == "0123456789");
}

TEST_CASE("hostile: a chunked body that outgrows CLIENT_BUFFERS_MB gets 503", "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"MAX_BODY_KB", "4096"}, {"CLIENT_BUFFERS_MB", "1"}});
  RawClient client(server->port());
  // One 3 MiB chunk announced, 1.5 MiB of it sent: more than the budget, within the limit.
  REQUIRE(client.send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n300000\r\n" +
                      std::string(1536 * 1024, 'z')));
  const Reply reply = client.receive();
  CHECK(status_of(reply) == 503);
  CHECK(reply.closed);
  CHECK(server->wait_for_stderr([](const std::string &line) {
    return line.find("chunked body outgrew CLIENT_BUFFERS_MB") != std::string::npos;
  }));
  check_still_serving(*server);
}

// A response the client does not read waits with the connection, not in a thread: as
// many slow readers as threads leave the server answering at once, and each is
// dropped once it has read nothing for WRITE_TIMEOUT_MS.
TEST_CASE("hostile: slow readers hold no thread and are dropped after WRITE_TIMEOUT_MS",
          "[hostile]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SERVER_THREAD_COUNT", "2"}});
  // As many clients as serving threads ask for 10 MB each and read only its first bytes:
  // far more than the socket buffers hold, so writing to them cannot finish.
  std::vector<RawClient> slow_readers;
  for (int i = 0; i < 2; ++i) {
    RawClient &client = slow_readers.emplace_back(server->port(), 4096);
    REQUIRE(client.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\n"));
    REQUIRE(client.receive(answer_deadline, 100).bytes.starts_with("HTTP/1.1 200"));
  }

  const auto asked = Clock::now();
  check_still_serving(*server);
  CHECK(since(asked) < milliseconds(write_timeout_ms / 2));

  for (RawClient &client : slow_readers) {
    // What the server had handed to the kernel still arrives, then the end of the
    // connection, long before 10 MB; the server says why it closed.
    const std::string peer = "127.0.0.1:" + std::to_string(client.local_port());
    CHECK(server->wait_for_stderr(
        [&](const std::string &line) {
          return line.find(peer + ": read nothing of its response") != std::string::npos;
        },
        milliseconds(write_timeout_ms) + answer_deadline));
    const Reply rest = client.receive(answer_deadline);
    CHECK(rest.closed);
    CHECK(rest.bytes.size() < big_response_bytes);
  }
  check_still_serving(*server);
}

// A response that can be kept neither in memory (CLIENT_BUFFERS_MB) nor on disk (no
// CLIENT_SPILL_MB, or a TMPDIR that does not exist) makes the thread wait for the
// client, as long as WRITE_TIMEOUT_MS allows, and give up on it with a line in the log.
TEST_CASE("hostile: with nowhere to keep a response, a slow reader is waited for, then dropped",
          "[hostile]") {
  TempDir dir;
  const bool no_spill_budget = GENERATE(true, false);
  INFO((no_spill_budget ? "CLIENT_SPILL_MB 0" : "TMPDIR missing"));
  auto server = start_hostile_server(dir, {{"CLIENT_BUFFERS_MB", "0"},
                                           no_spill_budget
                                               ? std::pair{"CLIENT_SPILL_MB", "0"}
                                               : std::pair{"TMPDIR", dir.file("no-such-directory")},
                                           {"SERVER_THREAD_COUNT", "1"},
                                           // the handler's 10 MB memset is no stand-in's cue here
                                           {"STAND_IN_AFTER_MS", "0"}});
  RawClient client(server->port(), 4096);
  REQUIRE(client.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\n"));
  REQUIRE(client.receive(answer_deadline, 100).bytes.starts_with("HTTP/1.1 200"));
  // The only thread is answered once it has given up on the slow reader: by then the
  // line saying so is in the log (the pipe is all that is left to wait for).
  const auto normal = client_for(*server).Get("/normal");
  REQUIRE(normal);
  CHECK(normal->status == 200);
  const std::string peer = "127.0.0.1:" + std::to_string(client.local_port());
  CHECK(server->wait_for_stderr(
      [&](const std::string &line) {
        return line.find(peer + ": read nothing of its response") != std::string::npos;
      },
      milliseconds(write_timeout_ms / 4)));
  const Reply rest = client.receive(answer_deadline);
  CHECK(rest.closed);
  CHECK(rest.bytes.size() < big_response_bytes);
  check_still_serving(*server);
}

// The other side of the same path: a client that reads late, but reads, gets every byte
// of the response, and the requests it pipelined behind it are answered after it, in
// order, on the same connection.
TEST_CASE("hostile: a client that reads late gets the whole response, then the next", "[hostile]") {
  // Kept in memory; with CLIENT_BUFFERS_MB at 0, in a file on disk.
  const std::string client_buffers_mb = GENERATE("64", "0");
  INFO("CLIENT_BUFFERS_MB " << client_buffers_mb);
  TempDir dir;
  auto server = start_hostile_server(
      dir, {{"SERVER_THREAD_COUNT", "1"}, {"CLIENT_BUFFERS_MB", client_buffers_mb}});
  RawClient client(server->port(), 4096);
  REQUIRE(client.send("GET /bad HTTP/1.1\r\nx-mode: big\r\n\r\n"
                      "GET /after HTTP/1.1\r\n\r\n"
                      "GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"));
  // The big response is logged, most of it still unsent, before the client reads any.
  CHECK(logged_request(*server, client, "GET /bad"));
  // Meanwhile the only serving thread is free for others. (A thread that waited for
  // this client instead would give up after WRITE_TIMEOUT_MS, as it has not read yet.)
  check_still_serving(*server);

  const Reply reply = client.receive(milliseconds(write_timeout_ms) + answer_deadline);
  CHECK(reply.closed);
  const std::vector<Response> responses = responses_in(reply.bytes);
  REQUIRE(responses.size() == 3);
  CHECK(responses[0].status == 200);
  CHECK(responses[0].body == std::string(big_response_bytes, 'x'));
  CHECK(echoed_target(responses[1]) == "/after");
  CHECK(echoed_target(responses[2]) == "/last");
  check_still_serving(*server);
}

// Shutdown counts a response still being read as a request in flight: the slow reader
// gets all of it before the process exits 0.
TEST_CASE("hostile: SIGTERM waits for a slow reader to take its whole response",
          "[hostile][shutdown]") {
  TempDir dir;
  auto server = start_hostile_server(dir);
  RawClient client(server->port(), 4096);
  ask_for_big_response(*server, client);
  server->send_signal(SIGTERM);

  const Reply reply = client.receive(milliseconds(write_timeout_ms) + answer_deadline);
  const std::vector<Response> responses = responses_in(reply.bytes);
  REQUIRE(responses.size() == 1);
  CHECK(responses[0].body.size() == big_response_bytes);
  CHECK(reply.closed);
  const auto status = server->wait_exit(answer_deadline);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("hostile: a client that reads nothing holds up SIGTERM for WRITE_TIMEOUT_MS only",
          "[hostile][shutdown]") {
  TempDir dir;
  auto server = start_hostile_server(dir, {{"SHUTDOWN_TIMEOUT_MS", "60000"}});
  RawClient client(server->port(), 4096);
  ask_for_big_response(*server, client);
  server->send_signal(SIGTERM);
  // It exits cleanly, having given up on the client, long before SHUTDOWN_TIMEOUT_MS.
  const auto status = server->wait_exit(milliseconds(write_timeout_ms) + answer_deadline);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
