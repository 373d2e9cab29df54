// Integration tests of the command line: --help, --version, --check, bad settings.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <regex>
#include <sys/wait.h>

using namespace flexilib::test;

namespace {
// Runs flexilib to completion; returns its exit code.
int run(ServerProcess &process) {
  process.start(200ms); // these runs never listen: start() only launches them
  auto status = process.wait_exit(10s);
  REQUIRE(status);
  REQUIRE(WIFEXITED(*status));
  return WEXITSTATUS(*status);
}

std::string joined(const std::vector<std::string> &lines) {
  std::string text;
  for (const auto &line : lines)
    text += line + "\n";
  return text;
}
} // namespace

TEST_CASE("help and version options print and exit 0", "[cli]") {
  ServerProcess help({".", {"--help"}, {}});
  CHECK(run(help) == 0);
  CHECK(joined(help.stdout_lines()).find("SERVER_THREAD_COUNT") != std::string::npos);
  ServerProcess version({".", {"--version"}, {}});
  CHECK(run(version) == 0);
  const std::string version_line = joined(version.stdout_lines());
  CHECK(version_line.find("flexilib ") == 0);
  // The commit it was built from: 12 hex digits (a checkout), or "unknown" without git.
  CHECK(std::regex_search(version_line, std::regex("\\(commit ([0-9a-f]{12}(-dirty)?|unknown),")));
}

TEST_CASE("check mode accepts a good configuration", "[cli][config]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/ = " + build_path("executors/libflexilib-example.so") + "\n");
  ServerProcess check({dir.path(), {"--check"}, {}});
  CHECK(run(check) == 0);
}

TEST_CASE("check mode accepts a library that exports zigInit (FlexiLib's Zig interface)",
          "[cli][config]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/ = " + test_library("zig-init") + "\n");
  ServerProcess check({dir.path(), {"--check"}, {}});
  CHECK(run(check) == 0);
  CHECK(check.stderr_text().find("every library loads") != std::string::npos);
}

TEST_CASE("check mode reports every problem with its line and exits 1", "[cli][config]") {
  TempDir dir;
  dir.write_file("proxy.ini",
                 "# comment\n/a = " + test_library("no-handler") +
                     "\nnot a rule\n/b = " + build_path("test/libraries/not-a-library.so") +
                     "\n/c = " + build_path("executors/libflexilib-example.so") + "\n");
  ServerProcess check({dir.path(), {"--check"}, {}});
  CHECK(run(check) == 1);
  const std::string errors = check.stderr_text();
  CHECK(errors.find("proxy.ini:2: ") != std::string::npos);
  CHECK(errors.find("does not export handle_request") != std::string::npos);
  CHECK(errors.find("proxy.ini:3: ") != std::string::npos);
  CHECK(errors.find("proxy.ini:4: ") != std::string::npos);
  CHECK(errors.find("not a shared library") != std::string::npos);
  CHECK(errors.find("proxy.ini:5:") == std::string::npos);
  CHECK(errors.find("3 problems") != std::string::npos);
}

TEST_CASE("an invalid environment value is refused naming the variable", "[cli]") {
  for (const auto &[name, value] : std::vector<std::pair<std::string, std::string>>{
           {"PORT", "eighty"}, {"SERVER_THREAD_COUNT", "0"}, {"RESPONSE_PREALLOCATION_KB", "-4"}}) {
    INFO(name);
    ServerProcess process({".", {}, {{name, value}}});
    CHECK(run(process) == 2);
    CHECK(process.stderr_text().find(name) != std::string::npos);
  }
}

TEST_CASE("PORT=0 picks a free port and says which", "[cli]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + build_path("executors/libflexilib-example.so") + "\n");
  CHECK(server->port() > 0);
  auto response = client_for(*server).Get("/");
  REQUIRE(response);
  CHECK(response->status == 200);
}

TEST_CASE("SIGTERM lets a request in flight finish, then exits 0", "[cli][shutdown]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("bad-response") + "\n");
  const std::string announced = dir.file("in-handler");
  std::optional<httplib::Result> slow;
  std::thread request([&] {
    slow.emplace(
        client_for(*server).Get("/", {{"x-mode", "announce"}, {"x-announce-file", announced}}));
  });
  // The library creates the file from inside the handler, then takes 500 ms.
  REQUIRE(eventually([&] { return std::filesystem::exists(announced); }));
  server->send_signal(SIGTERM);
  request.join();
  REQUIRE(slow);
  REQUIRE(*slow);
  CHECK((*slow)->status == 200);
  auto status = server->wait_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}
