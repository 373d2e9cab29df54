// Integration tests: every kind of bad library, bad response and bad request gets a
// clear log line and the right status, and the server keeps serving.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <sys/wait.h>

using namespace flexilib::test;

namespace {

std::string config_for(const std::string &library) {
  return "/bad = " + library + "\n/ = " + build_path("executors/libflexilib-example.so") + "\n";
}

bool stderr_mentions(ServerProcess &server, const std::string &a, const std::string &b) {
  return server
      .wait_for_stderr([&](const std::string &line) {
        return line.find(a) != std::string::npos && line.find(b) != std::string::npos;
      })
      .has_value();
}

// The server still answers a normal request.
bool still_serving(ServerProcess &server) {
  auto response = client_for(server).Get("/");
  return response && response->status == 200;
}

std::string status_line(const std::string &response) {
  return response.substr(0, response.find("\r\n"));
}

} // namespace

TEST_CASE("a request no rule matches gets 404", "[errors]") {
  TempDir dir;
  auto server =
      start_server(dir, "/only = " + build_path("executors/libflexilib-example.so") + "\n");
  auto response = client_for(*server).Get("/elsewhere");
  REQUIRE(response);
  CHECK(response->status == 404);
}

TEST_CASE("libraries that cannot serve get 502 and one log line naming file and reason",
          "[errors][loader]") {
  struct Case {
    std::string library, reason;
  };
  const std::vector<Case> cases{
      {"/nonexistent/libnothing.so", "cannot open: No such file or directory"},
      {build_path("test/libraries/not-a-library.so"), "not a shared library"},
      {test_library("no-handler"), "does not export handle_request"},
      {test_library("newer-abi"), "built for flexilib ABI version 2"},
      {test_library("on-load-fails"), "flexilib_on_load returned 1"},
  };
  for (const Case &bad : cases) {
    INFO(bad.library);
    TempDir dir;
    auto server = start_server(dir, config_for(bad.library));
    auto client = client_for(*server);
    auto first = client.Get("/bad");
    auto second = client.Get("/bad");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->status == 502);
    CHECK(second->status == 502);
    CHECK(stderr_mentions(*server, bad.library, bad.reason));
    // Tried once, not once per request: the file has not changed.
    int failures = 0;
    for (const std::string &line : server->stderr_lines())
      if (line.find("load failed") != std::string::npos) ++failures;
    CHECK(failures == 1);
    CHECK(still_serving(*server));
  }
}

TEST_CASE("a handler returning NULL gets 500 and a log line", "[errors]") {
  TempDir dir;
  auto server = start_server(dir, config_for(test_library("returns-null")));
  auto response = client_for(*server).Get("/bad/x");
  REQUIRE(response);
  CHECK(response->status == 500);
  CHECK(stderr_mentions(*server, "returns-null", "handle_request returned NULL for GET /bad/x"));
  CHECK(still_serving(*server));
}

TEST_CASE("invalid responses from a library become 500 and never split the response", "[errors]") {
  TempDir dir;
  auto server = start_server(dir, config_for(test_library("bad-response")));
  for (const char *mode :
       {"crlf-header", "nul-header", "bad-name", "status-9999", "status-99", "reason-crlf"}) {
    INFO(mode);
    const std::string response =
        raw_request(server->port(), std::string("GET /bad HTTP/1.1\r\nx-mode: ") + mode +
                                        "\r\nConnection: close\r\n\r\n");
    CHECK(status_line(response) == "HTTP/1.1 500 Internal Server Error");
    CHECK(response.find("Injected") == std::string::npos);
  }
  CHECK(stderr_mentions(*server, "bad-response", "contains CR, LF or NUL"));
  CHECK(stderr_mentions(*server, "bad-response", "invalid status 9999"));
  CHECK(still_serving(*server));
}

TEST_CASE("unusual but valid responses are sent as the library made them", "[errors]") {
  TempDir dir;
  auto server = start_server(dir, config_for(test_library("bad-response")));
  auto client = client_for(*server);

  auto big = client.Get("/bad", {{"x-mode", "big"}});
  REQUIRE(big);
  CHECK(big->status == 200);
  CHECK(big->body.size() == 10u * 1024 * 1024);
  CHECK(big->body.find_first_not_of('x') == std::string::npos);

  auto empty = client.Get("/bad", {{"x-mode", "empty"}});
  REQUIRE(empty);
  CHECK(empty->status == 200);
  CHECK(empty->body.empty());
  CHECK(empty->get_header_value("Content-Length") == "0");

  auto typed = client.Get("/bad", {{"x-mode", "content-type"}});
  REQUIRE(typed);
  CHECK(typed->get_header_value("Content-Type") == "application/x-test");
}

TEST_CASE("a library that crashes the server: it is restarted and says what ran",
          "[errors][supervisor]") {
  TempDir dir;
  auto server = start_server(dir, config_for(test_library("bad-response")));
  auto client = client_for(*server);
  auto crashed = client.Get("/bad/boom", {{"x-mode", "crash"}});
  CHECK_FALSE(crashed); // the connection died with the serving process
  CHECK(stderr_mentions(*server, "died of signal 11", "GET /bad/boom"));
  CHECK(eventually([&] { return still_serving(*server); }));
}

TEST_CASE("malformed and oversized requests get the right status", "[errors][http]") {
  TempDir dir;
  auto server = start_server(dir, config_for(test_library("flexilib-layout-only")),
                             {{"MAX_BODY_KB", "1"}, {"MAX_HEADER_COUNT", "20"}});
  const int port = server->port();
  const std::string long_target(9000, 'a');
  struct Case {
    std::string name, request, status;
  };
  const std::vector<Case> cases{
      {"garbage request line", "NOT A REQUEST\r\n\r\n", "HTTP/1.1 400"},
      {"unknown method", "BREW / HTTP/1.1\r\n\r\n", "HTTP/1.1 400"},
      {"request line too long", "GET /" + long_target + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414"},
      {"head over 16 KiB", "GET / HTTP/1.1\r\nX: " + std::string(17000, 'b') + "\r\n\r\n",
       "HTTP/1.1 431"},
      {"too many headers",
       [] {
         std::string r = "GET / HTTP/1.1\r\n";
         for (int i = 0; i < 21; ++i)
           r += "X-" + std::to_string(i) + ": v\r\n";
         return r + "\r\n";
       }(),
       "HTTP/1.1 431"},
      {"body over MAX_BODY_KB", "POST /bad HTTP/1.1\r\nContent-Length: 2000\r\n\r\n",
       "HTTP/1.1 413"},
      {"conflicting Content-Length",
       "POST /bad HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "HTTP/1.1 400"},
      {"Content-Length with Transfer-Encoding",
       "POST /bad HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400"},
      {"unknown Transfer-Encoding", "POST /bad HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
       "HTTP/1.1 501"},
  };
  for (const Case &bad : cases) {
    INFO(bad.name);
    const std::string response = raw_request(port, bad.request, 3s);
    CHECK(response.rfind(bad.status, 0) == 0);
    CHECK(still_serving(*server));
  }
}

TEST_CASE("an invalid proxy.ini stops the server at start with its line number",
          "[errors][config]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/ok = lib.so\nthis line is not a rule\n");
  ServerProcess server({dir.path(), {}, {}});
  CHECK_FALSE(server.start(5s));
  auto status = server.wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(server.stderr_text().find("proxy.ini:2:") != std::string::npos);
}

TEST_CASE("a handler that never returns gets 504 and its thread is replaced", "[errors][pool]") {
  TempDir dir;
  auto server = start_server(
      dir, config_for(test_library("bad-response")),
      {{"HANDLER_TIMEOUT_MS", "300"}, {"SERVER_THREAD_COUNT", "2"}, {"STAND_IN_AFTER_MS", "0"}});
  // Both serving threads hang: without replacements nothing could be served after.
  for (int i = 0; i < 2; ++i) {
    const std::string answer = raw_request(
        server->port(), "GET /bad/hang HTTP/1.1\r\nx-mode: hang\r\nConnection: close\r\n\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 504 Gateway Timeout");
  }
  CHECK(stderr_mentions(*server, "HANDLER_TIMEOUT_MS", "GET /bad/hang"));
  CHECK(stderr_mentions(*server, "a new thread takes its place", "2 stuck now"));
  CHECK(still_serving(*server));
}
