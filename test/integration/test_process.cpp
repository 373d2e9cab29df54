// Integration tests of the process around the server: the supervisor's crash-loop
// backoff, and what stopping does (a second signal, the libraries' unload hooks).
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>

using namespace flexilib::test;

namespace {

bool serves(ServerProcess &server) {
  auto response = client_for(server).Get("/");
  return response && response->status == 200;
}

std::string read_file(const std::string &path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("a serving process that keeps crashing is restarted ever later, then serves",
          "[process][supervisor]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("bad-response") + "\n");
  // Five deaths in a row, each within a second of its start, make a crash loop.
  for (int crash = 0; crash < 5; ++crash) {
    REQUIRE(eventually([&] { return serves(*server); }));
    CHECK_FALSE(client_for(*server).Get("/", {{"x-mode", "crash"}}));
  }
  CHECK(server->wait_for_stderr([](const std::string &line) {
    return line.find("it keeps dying: next start in 50 ms") != std::string::npos;
  }));
  CHECK(eventually([&] { return serves(*server); }));
}

TEST_CASE("a second stop signal ends the server at once, a handler still running",
          "[process][shutdown]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("bad-response") + "\n",
                             {{"SHUTDOWN_TIMEOUT_MS", "60000"}});
  const std::string announced = dir.file("in-handler");
  std::thread stuck([&] {
    client_for(*server).Get("/", {{"x-mode", "hang"}, {"x-announce-file", announced}});
  });
  REQUIRE(eventually([&] { return std::filesystem::exists(announced); }));
  server->send_signal(SIGTERM); // waits for the handler, which never returns
  CHECK_FALSE(server->wait_exit(200ms));
  server->send_signal(SIGTERM);
  const auto status = server->wait_exit(3s); // far below SHUTDOWN_TIMEOUT_MS
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) != 0); // requests were cut short: not a clean stop
  stuck.join();
}

TEST_CASE("stopping runs each loaded library's unload hook, then exits 0", "[process][shutdown]") {
  TempDir dir;
  const std::string hook_log = dir.file("hooks.log");
  auto server = start_server(dir, "/ = " + test_library("counter") + "\n",
                             {{"FLEXILIB_TEST_HOOK_LOG", hook_log}});
  REQUIRE(serves(*server)); // loads the library: libraries open on first use
  CHECK(read_file(hook_log) == "load v1\n");
  server->send_signal(SIGINT);
  const auto status = server->wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(read_file(hook_log) == "load v1\nunload v1\n");
}
