// Unit tests of the request path without a server process: a RequestReader and its
// pipeline serve requests written into one end of a socket pair, the other end of
// which is the connection a worker pool would have accepted; and a library slot
// loads, remembers a failure and reloads without a server around it.
#include "loader/configuration.hpp"
#include "server/request_reader.hpp"
#include "test/unit/pipeline_test_parts.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sys/socket.h>
#include <unistd.h>

using namespace flexilib;
using server::ConnectionState;
using server::Ending;

namespace {

using test::test_library;

// Everything a serving thread would have, around one connection whose client end
// the test writes requests into and reads responses from.
struct Rig {
  test::ConfigFile config{"reader", "/v1 = " + test_library("counter") + "\n"};
  loader::Configuration configuration{config.path, [](std::string_view) {}};
  server::RequestPipeline pipeline{configuration, test::small_limits(1000), nullptr, nullptr};
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
    thread.buffers.input.resize(test::small_limits(1000).max_head_bytes);
  }
  ~Rig() { ::close(client); }

  void send(std::string_view bytes) const {
    REQUIRE(::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()));
  }
  // What the server has written so far (serve() flushes before it returns).
  std::string received() const {
    std::string all;
    char chunk[4096];
    ssize_t got;
    while ((got = ::recv(client, chunk, sizeof chunk, MSG_DONTWAIT)) > 0)
      all.append(chunk, size_t(got));
    return all;
  }
  Ending serve() { return reader.serve(*connection, thread); }
};

} // namespace

TEST_CASE("reader: a complete request is served and the connection goes idle", "[reader]") {
  Rig rig;
  rig.send("GET /v1/x HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(rig.serve() == Ending::none);
  const std::string response = rig.received();
  CHECK_THAT(response, Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK_THAT(response, Catch::EndsWith("\r\n\r\nv1"));
  CHECK(rig.connection->state() == ConnectionState::idle);
  CHECK(rig.connection->requests_served == 1);
}

TEST_CASE("reader: a head in two parts waits with the connection", "[reader]") {
  Rig rig;
  rig.send("GET /v1/x HTTP/1.1\r\nHo");
  CHECK(rig.serve() == Ending::none);
  CHECK(rig.received().empty());
  CHECK(rig.connection->state() == ConnectionState::reading_head);
  CHECK(rig.connection->pending == "GET /v1/x HTTP/1.1\r\nHo");
  rig.send("st: a\r\n\r\n");
  CHECK(rig.serve() == Ending::none);
  CHECK_THAT(rig.received(), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK(rig.connection->state() == ConnectionState::idle);
  CHECK(rig.connection->pending.empty());
}

TEST_CASE("reader: pipelined requests are served in order in one turn", "[reader]") {
  Rig rig;
  rig.send("GET /v1/a HTTP/1.1\r\nHost: a\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(rig.serve() == Ending::none);
  const std::string response = rig.received();
  const size_t second = response.find("HTTP/1.1 404 Not Found\r\n");
  CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(second != std::string::npos);
  CHECK(rig.connection->requests_served == 2);
}

TEST_CASE("reader: a head over MAX_HEADER_KB is refused and the connection lingers", "[reader]") {
  Rig rig;
  rig.send("GET /v1/x HTTP/1.1\r\nX-Long: " + std::string(2000, 'a'));
  CHECK(rig.serve() == Ending::linger);
  CHECK_THAT(rig.received(), Catch::StartsWith("HTTP/1.1 431 "));
}

TEST_CASE("reader: a body larger than the thread's buffer is collected with the connection",
          "[reader]") {
  Rig rig;
  rig.send("POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" +
           std::string(100, 'b'));
  CHECK(rig.serve() == Ending::none);
  CHECK(rig.connection->state() == ConnectionState::receiving_body);
  CHECK(rig.received().empty());
  rig.send(std::string(4900, 'b'));
  CHECK(rig.serve() == Ending::none);
  CHECK_THAT(rig.received(), Catch::StartsWith("HTTP/1.1 200 OK\r\n"));
  CHECK(rig.connection->state() == ConnectionState::idle);
}

TEST_CASE("library slot: loads once, remembers a failure, reloads as a new generation",
          "[library]") {
  std::vector<std::string> events;
  loader::LibrarySlot slot(test_library("counter"),
                           [&](std::string_view line) { events.emplace_back(line); });
  std::string error;
  const auto first = slot.acquire(error);
  REQUIRE(first != nullptr);
  CHECK(slot.acquire(error) == first); // the same generation, no second load
  CHECK(slot.status().generation == 1);
  const loader::ReloadOutcome reloaded = slot.reload();
  CHECK(reloaded.loaded);
  CHECK(reloaded.generation == 2);
  CHECK(slot.acquire(error) != first);
  CHECK(first->generation() == 1); // still usable by the requests that hold it

  loader::LibrarySlot missing(test_library("does-not-exist"), [](std::string_view) {});
  CHECK(missing.acquire(error) == nullptr);
  CHECK_THAT(error, Catch::Contains("does-not-exist"));
  std::string again;
  CHECK(missing.acquire(again) == nullptr); // remembered until the file changes
  CHECK(again == error);
  CHECK(missing.status().last_error == error);
}
