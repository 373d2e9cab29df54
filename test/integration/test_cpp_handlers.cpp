// Integration tests: C++ handler libraries, linked against the system's libstdc++,
// in a server that carries its own static copy of it (cmake/portable-binary.cmake).
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>

using namespace flexilib::test;

TEST_CASE("a C++ handler throws and catches exceptions inside handle_request", "[serving][cpp]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("cpp-exceptions") + "\n");
  auto client = client_for(*server);
  for (int request = 0; request < 3; ++request) { // and again, on a reused connection
    auto response = client.Get("/");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "runtime_error; HandlerError; parse_error 101");
  }
}

TEST_CASE("the C++ json example answers in a server with its own C++ runtime", "[serving][cpp]") {
  TempDir dir;
  auto server =
      start_server(dir, "/json = " + build_path("executors/libflexilib-json-example.so") + "\n");
  auto response = client_for(*server).Get("/json/x?y=1");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type") == "application/json");
  CHECK(response->body.find(R"("target":"/json/x?y=1")") != std::string::npos);
}
