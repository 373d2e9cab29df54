// Integration tests of the exception boundary: an exception escaping any entry point
// of a handler library (or the server's own request path) becomes a plain 500, with
// nothing of the exception in the response, and one log line naming library, entry
// point, route, request and what(); the server keeps serving.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <sys/wait.h>

using namespace flexilib::test;

namespace {

std::string routes_to(const std::string &route, const std::string &target) {
  return route + " = " + target + "\n/ = " + build_path("executors/libflexilib-example.so") + "\n";
}

// Nothing of the exception reached the client: no header of cpp-httplib's default
// handler (EXCEPTION_WHAT), no secret in any header or in the body.
void check_nothing_leaked(const httplib::Response &response, const std::string &secret) {
  CHECK_FALSE(response.has_header("EXCEPTION_WHAT"));
  for (const auto &[name, value] : response.headers) {
    INFO(name << ": " << value);
    CHECK(value.find(secret) == std::string::npos);
  }
  CHECK(response.body.find(secret) == std::string::npos);
}

bool logged(ServerProcess &server, const std::vector<std::string> &parts) {
  return server
      .wait_for_stderr([&](const std::string &line) {
        for (const std::string &part : parts)
          if (line.find(part) == std::string::npos) return false;
        return true;
      })
      .has_value();
}

bool still_serving(ServerProcess &server) {
  auto response = client_for(server).Get("/");
  return response && response->status == 200;
}

} // namespace

TEST_CASE("an exception from handle_request is a plain 500 and one log line",
          "[errors][exceptions]") {
  TempDir dir;
  const std::string library = test_library("throws");
  auto server = start_server(dir, routes_to("/bad", library));
  auto client = client_for(*server);

  auto thrown = client.Get("/bad/x?q=1", {{"x-mode", "throw"}});
  REQUIRE(thrown);
  CHECK(thrown->status == 500);
  CHECK(thrown->body == "500 Internal Server Error: the handler failed\n");
  check_nothing_leaked(*thrown, "hunter2");
  CHECK(logged(*server, {library, "exception escaped handle_request", "route /bad",
                         "GET /bad/x?q=1", ": db password is hunter2"}));

  auto unknown = client.Get("/bad", {{"x-mode", "throw-int"}});
  REQUIRE(unknown);
  CHECK(unknown->status == 500);
  CHECK(logged(*server, {library, "handle_request", "route /bad", ": unknown exception"}));

  // The connection and the serving threads carry on.
  auto fine = client.Get("/bad");
  REQUIRE(fine);
  CHECK(fine->status == 200);
  CHECK(still_serving(*server));
}

TEST_CASE("an exception from zigInit is a plain 500 and one log line, and no handle_request",
          "[errors][exceptions][zig]") {
  TempDir dir;
  const std::string library = test_library("throws-in-zig-init");
  auto server = start_server(dir, routes_to("/zig", library));
  auto response = client_for(*server).Get("/zig");
  REQUIRE(response);
  CHECK(response->status == 500);
  CHECK(response->body == "500 Internal Server Error: the handler failed\n");
  check_nothing_leaked(*response, "zig allocator secret");
  CHECK(logged(*server, {library, "exception escaped zigInit", "route /zig", "GET /zig",
                         "zig allocator secret"}));
  for (const std::string &line : server->stderr_lines())
    CHECK(line.find("handle_request") == std::string::npos);
  CHECK(still_serving(*server));
}

TEST_CASE("an exception from request_deinit is logged after the response has gone out",
          "[errors][exceptions]") {
  TempDir dir;
  const std::string library = test_library("throws");
  auto server = start_server(dir, routes_to("/bad", library));
  auto client = client_for(*server);
  auto response = client.Get("/bad", {{"x-mode", "throw-in-deinit"}});
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(logged(*server, {library, "exception escaped request_deinit", "route /bad",
                         "GET /bad HTTP/1.1", "deinit secret"}));
  CHECK(still_serving(*server));
  // Not a crash of the serving process: the supervisor's line at start is the only
  // one about it (a death and a restart would add theirs).
  REQUIRE(logged(*server, {"supervisor", "serving process"}));
  int about_it = 0;
  for (const std::string &line : server->stderr_lines())
    if (line.find("serving process") != std::string::npos) ++about_it;
  CHECK(about_it == 1);
}

TEST_CASE("an exception from lambda_handler is API Gateway's 500 and one log line",
          "[errors][exceptions][faas]") {
  TempDir dir;
  const std::string library = test_library("throws");
  auto server = start_server(dir, routes_to("/fn", "lambda:" + library));
  auto response = client_for(*server).Get("/fn/x");
  REQUIRE(response);
  CHECK(response->status == 500);
  CHECK(response->body == "{\"message\":\"Internal Server Error\"}");
  check_nothing_leaked(*response, "swordfish");
  CHECK(logged(*server, {library, "exception escaped lambda_handler", "route /fn", "GET /fn/x",
                         "lambda secret is swordfish"}));
  CHECK(logged(*server, {"ERROR lambda_handler threw an exception"}));
  CHECK(still_serving(*server));
}

TEST_CASE("an exception from flexilib_on_load refuses the load like a failing hook",
          "[errors][exceptions][loader]") {
  TempDir dir;
  const std::string library = test_library("throws-on-load");
  auto server = start_server(dir, routes_to("/bad", library));
  auto response = client_for(*server).Get("/bad");
  REQUIRE(response);
  CHECK(response->status == 502);
  check_nothing_leaked(*response, "on_load secret");
  CHECK(logged(*server, {library, "exception escaped flexilib_on_load", "on_load secret"}));
  CHECK(logged(*server, {"load failed", library, "flexilib_on_load threw an exception"}));
  CHECK(still_serving(*server));
}

TEST_CASE("an exception from flexilib_on_unload is logged and the server stops cleanly",
          "[errors][exceptions][shutdown]") {
  TempDir dir;
  const std::string library = test_library("throws-on-unload");
  auto server = start_server(dir, routes_to("/bad", library));
  auto response = client_for(*server).Get("/bad"); // loads it
  REQUIRE(response);
  CHECK(response->status == 200);
  server->send_signal(SIGTERM); // stopping closes every library, running its hook
  const auto status = server->wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(logged(*server, {library, "exception escaped flexilib_on_unload", "on_unload secret"}));
}

TEST_CASE("an exception in the server's own request path is a plain 500, not its text",
          "[errors][exceptions]") {
  // test/flexilib-with-faults throws while it builds the Lambda event (the handler
  // never runs) for a request with "X-Fault: throw"; see
  // test/fault_injection/throwing_lambda_event.cpp.
  TempDir dir;
  dir.write_file("proxy.ini", routes_to("/fn", "lambda:" + test_library("lambda-behaviours")));
  // The launcher runs the server with the fault in place of build/flexilib.
  const std::string faulty = build_path("test/flexilib-with-faults");
  ServerProcess server(
      {dir.path(), {}, {}, {"/bin/sh", "-c", "shift; exec '" + faulty + "' \"$@\"", "sh"}});
  REQUIRE(server.start());
  const std::string answer =
      raw_request(server.port(), "GET /fn/event HTTP/1.1\r\nHost: x\r\nX-Fault: throw\r\n"
                                 "Connection: close\r\n\r\n");
  CHECK(answer.rfind("HTTP/1.1 500 ", 0) == 0);
  CHECK(answer.find("EXCEPTION_WHAT") == std::string::npos);
  CHECK(answer.find("secret sauce") == std::string::npos);
  CHECK(logged(server, {"serving: exception while answering GET /fn/event",
                        "injected fault: json secret sauce", "answered 500"}));
  // Nothing else was hurt: the same route without the fault, and the rest.
  auto fine = client_for(server).Get("/fn/event");
  REQUIRE(fine);
  CHECK(fine->status == 200);
  CHECK(still_serving(server));
}
