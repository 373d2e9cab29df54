// Unit tests of the exception handler every listener sets: cpp-httplib 0.11's own
// default hands what() to the client; ours answers a plain 500.
#include "server/escaped_exception.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>

using namespace flexilib::server;

namespace {

// A cpp-httplib server on a free loopback port whose every GET throws; `ours` sets
// answer_escaped_exception as its exception handler. Returns the response to a GET.
httplib::Result get_from_throwing_server(bool ours) {
  httplib::Server server;
  server.Get(".*", [](const httplib::Request &, httplib::Response &) {
    throw std::runtime_error("db password is hunter2");
  });
  if (ours)
    server.set_exception_handler(
        [](const httplib::Request &request, httplib::Response &response, std::exception_ptr e) {
          answer_escaped_exception("test", request, response, e);
        });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread loop([&] { server.listen_after_bind(); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1)); // a poll, with a deadline
  httplib::Client client("127.0.0.1", port);
  httplib::Result result = client.Get("/x");
  server.stop();
  loop.join();
  return result;
}

} // namespace

TEST_CASE("cpp-httplib 0.11 left to itself puts what() in an EXCEPTION_WHAT header",
          "[exceptions]") {
  // Why every listener sets its own handler: this is the leak it closes.
  const httplib::Result result = get_from_throwing_server(false);
  REQUIRE(result);
  CHECK(result->status == 500);
  CHECK(result->get_header_value("EXCEPTION_WHAT") == "db password is hunter2");
}

TEST_CASE("an escaped exception is answered with a plain 500 and nothing of it", "[exceptions]") {
  const httplib::Result result = get_from_throwing_server(true);
  REQUIRE(result);
  CHECK(result->status == 500);
  CHECK_FALSE(result->has_header("EXCEPTION_WHAT"));
  CHECK(result->body == "500 Internal Server Error\n");
  for (const auto &[name, value] : result->headers)
    CHECK(value.find("hunter2") == std::string::npos);
}

TEST_CASE("what a handler had put in the response before throwing is dropped", "[exceptions]") {
  httplib::Request request;
  request.method = "GET";
  httplib::Response response;
  response.status = 201;
  response.set_header("X-Half-Done", "secret");
  response.set_content("half a body", "text/html");
  answer_escaped_exception("test", request, response,
                           std::make_exception_ptr(std::runtime_error("secret")));
  CHECK(response.status == 500);
  CHECK_FALSE(response.has_header("X-Half-Done"));
  CHECK(response.get_header_value("Content-Type") == "text/plain");
  CHECK(response.body == "500 Internal Server Error\n");
}
