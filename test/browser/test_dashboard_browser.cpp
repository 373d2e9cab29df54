// The admin dashboard in a real browser: starts flexilib with its admin endpoint and
// runs test/browser/dashboard_check.js, which drives Debian's Chromium through
// playwright-core (both installed by scripts/install-deps.sh). Slow and heavy, so
// labelled "browser": scripts/test.sh runs it in the Release build only.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

using namespace flexilib::test;

namespace {

struct Running {
  std::unique_ptr<ServerProcess> server;
  int admin_port = 0;
};

// An upstream on a port nothing listens on: it refuses, and is marked down.
const std::string &refusing_upstream() {
  static const std::string address = "127.0.0.1:" + std::to_string(fixed_free_port());
  return address;
}

// Routes that give the page something to show: two libraries, one that is missing
// (its load error shows in the routes table), one that crashes on request, and a
// proxy route to an upstream that refuses.
std::string demo_config() {
  return "/json = " + build_path("executors/libflexilib-json-example.so") + "\n" +
         "/missing = " + build_path("executors/libno-such-library.so") + "\n" +
         "/crash = " + test_library("bad-response") + "\n" + "/gone = http://" +
         refusing_upstream() + "\n" + "/ = " + build_path("executors/libflexilib-example.so") +
         "\n";
}

Running start_with_admin(const TempDir &dir, std::map<std::string, std::string> env = {}) {
  env.emplace("ADMIN_PORT", "0");
  Running running{start_server(dir, demo_config(), std::move(env))};
  running.admin_port = running.server->announced_port("admin");
  return running;
}

// Some traffic of each kind, so that the tables and histograms have something in them.
void make_traffic(const ServerProcess &server) {
  auto client = client_for(server);
  for (int i = 0; i < 40; ++i) {
    client.Get(("/json/item/" + std::to_string(i)).c_str());
    client.Get(("/page/" + std::to_string(i)).c_str());
  }
  client.Get("/missing/thing");
}

std::string quoted(const std::string &text) {
  std::string out = "'";
  for (char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// Runs the browser check and returns its exit code and everything it printed.
CheckResult run_browser_check(const Running &running, const std::string &out_dir,
                              const std::string &extra_args = "") {
  std::string command = "node " + quoted(source_path("test/browser/dashboard_check.js")) +
                        " --tools " + quoted(FLEXILIB_BROWSER_TOOLS) + " --admin " +
                        quoted("http://127.0.0.1:" + std::to_string(running.admin_port)) +
                        " --serve " +
                        quoted("http://127.0.0.1:" + std::to_string(running.server->port())) +
                        " --out " + quoted(out_dir) + " --library libflexilib-json-example.so";
  command += " " + extra_args;
  CheckResult result;
  FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (size_t got = std::fread(buffer, 1, sizeof buffer, pipe))
    result.output.append(buffer, got);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool is_png(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char signature[8] = {};
  in.read(signature, sizeof signature);
  return in && std::string(signature, 8) == "\x89PNG\r\n\x1a\n";
}

std::string output_dir(const std::string &name) {
  const std::string dir = build_path("test-output/browser/" + name);
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir + "/dashboard.png");
  return dir;
}

} // namespace

TEST_CASE("dashboard in Chromium: live requests, histograms, upstreams, reload, nothing from "
          "elsewhere",
          "[browser]") {
  TempDir dir;
  auto running = start_with_admin(dir);
  make_traffic(*running.server);
  const std::string out = output_dir("dashboard");

  const CheckResult check = run_browser_check(
      running, out, "--upstream " + refusing_upstream() + " --upstream-path /gone/check");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("dashboard check passed") != std::string::npos);
  CHECK(check.output.find("upstreams: " + refusing_upstream() + "down for ") != std::string::npos);
  CHECK(is_png(out + "/dashboard.png"));
  // The button's POST /reload reached the server and passed its Origin check.
  CHECK(running.server->wait_for_stderr([&](const std::string &line) {
    return line.find("admin: reloading") != std::string::npos && line.ends_with("proxy.ini");
  }));
}

TEST_CASE("dashboard in Chromium: with ADMIN_TOKEN the page asks for it and sends it",
          "[browser]") {
  TempDir dir;
  auto running = start_with_admin(dir, {{"ADMIN_TOKEN", "browser-token-123"}});
  const std::string out = output_dir("dashboard-token");

  const CheckResult check = run_browser_check(running, out, "--token browser-token-123");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("dashboard check passed") != std::string::npos);
  CHECK(is_png(out + "/dashboard.png"));
}

TEST_CASE("dashboard in Chromium: after a crash the page follows the new serving process",
          "[browser]") {
  TempDir dir;
  // A fixed admin port: the new serving process opens its admin endpoint on the same
  // one, as it would with the default 8070.
  auto running = start_with_admin(dir, {{"ADMIN_PORT", std::to_string(fixed_free_port())}});
  const std::string out = output_dir("dashboard-crash");

  const CheckResult check = run_browser_check(running, out, "--crash /crash");
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.find("after the crash the table shows the new serving process") !=
        std::string::npos);
  CHECK(running.server->wait_for_stderr([](const std::string &line) {
    return line.find("serving process died of signal 11") != std::string::npos;
  }));
}
