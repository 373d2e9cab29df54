// Integration tests of the Rust example (a cdylib with no crates): it answers as
// FlexiLib's example does, and frees what it returned in request_deinit.
// Built only when CMake found cargo (cmake/handler_toolchains.cmake).
#include "test/integration/example_answers.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

using namespace flexilib::test;

namespace {
std::string rust_example() {
  return build_path("executors/libflexilib-rust-example.so");
}
} // namespace

TEST_CASE("the Rust example answers every request as the C example does", "[rust][serving]") {
  TempDir dir;
  auto server = start_server(dir, "/rust = " + rust_example() + "\n/c = " +
                                      build_path("executors/libflexilib-example.so") + "\n");
  for (const ExampleRequest &request : example_requests()) {
    INFO(request.name);
    const std::string from_c = answer_to(*server, "/c", request);
    CHECK(answer_to(*server, "/rust", request) == from_c);
    CHECK(from_c != "no response");
  }
}

TEST_CASE("the Rust example on two threads at once keeps each response its own",
          "[rust][concurrency]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + rust_example() + "\n");
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int client = 0; client < 4; ++client)
    clients.emplace_back([&, client] {
      auto http = client_for(*server);
      const std::string text(size_t(client) * 500 + 1, char('a' + client));
      for (int i = 0; i < 50; ++i) {
        auto response = http.Get("/", {{"x-log-this", text}});
        if (!response || response->body.rfind(text + " ", 0) != 0) ++wrong;
      }
    });
  for (auto &client : clients)
    client.join();
  CHECK(wrong == 0);
}
