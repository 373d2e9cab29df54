// Integration tests of reloading without failing a request: a library replaced on disk
// (in place, by rename, by a broken file), its lifecycle hooks, and configuration
// reloads on SIGHUP, all while clients keep sending requests.
#include "test/integration/server_process.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace flexilib::test;
namespace fs = std::filesystem;

namespace {

// The body of a GET, or "" when the request failed in any way.
std::string body_of(int port, const std::string &target = "/",
                    const std::string &extra_headers = "") {
  const std::string answer = raw_request(port, "GET " + target + " HTTP/1.1\r\n" + extra_headers +
                                                   "Connection: close\r\n\r\n");
  if (answer.rfind("HTTP/1.1 200 OK\r\n", 0) != 0) return "";
  return answer.substr(answer.find("\r\n\r\n") + 4);
}

// Clients sending requests in a loop until destroyed, counting what they got.
class SteadyClients {
public:
  SteadyClients(int port, int count) {
    for (int i = 0; i < count; ++i)
      threads_.emplace_back([this, port] {
        while (!stop_) {
          const std::string body = body_of(port);
          if (body == "v1")
            ++v1_;
          else if (body == "v2")
            ++v2_;
          else
            ++failed_;
        }
      });
  }
  ~SteadyClients() { stop(); }
  void stop() {
    stop_ = true;
    for (auto &thread : threads_)
      if (thread.joinable()) thread.join();
  }
  int failed() const { return failed_; }
  int v1() const { return v1_; }
  int v2() const { return v2_; }

private:
  std::atomic<bool> stop_{false};
  std::atomic<int> v1_{0}, v2_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

// How a build tool might put a new file where the library is.
void copy_in_place(const std::string &from, const std::string &to) {
  // Truncates and rewrites the same inode, as `cp` does: IN_CLOSE_WRITE.
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
}

void rename_into_place(const std::string &from, const std::string &to) {
  // A new inode moved over the old name, as `mv` and most linkers do: IN_MOVED_TO.
  const std::string staging = to + ".new";
  fs::copy_file(from, staging, fs::copy_options::overwrite_existing);
  fs::rename(staging, to);
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A writer that truncates the library in place and writes `from`'s bytes into it,
// holding the file open (no IN_CLOSE_WRITE) until close() or its destruction.
class OpenWriter {
public:
  explicit OpenWriter(const std::string &to)
      : fd_(::open(to.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
  }
  ~OpenWriter() { close(); }
  void write(std::string_view bytes) {
    REQUIRE(::write(fd_, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_;
};

// A request to the counter library that announces itself from inside the handler
// (it creates the announce file there, then takes 500 ms); finish() gives its body.
class SlowRequest {
public:
  SlowRequest(int port, const std::string &announce_file)
      : thread_([this, port, announce_file] {
          body_ = body_of(port, "/", "x-announce-file: " + announce_file + "\r\n");
        }),
        announce_file_(announce_file) {}
  ~SlowRequest() {
    if (thread_.joinable()) thread_.join();
  }
  bool reached_handler() const {
    return eventually([&] { return fs::exists(announce_file_); });
  }
  std::string finish() {
    thread_.join();
    return body_;
  }

private:
  std::string body_;
  std::thread thread_;
  std::string announce_file_;
};

struct ReloadFixture {
  TempDir dir;
  std::string library = dir.file("libcounter.so");
  std::string hook_log = dir.file("hooks.log");
  std::unique_ptr<ServerProcess> server;

  ReloadFixture() {
    fs::copy_file(test_library("counter"), library);
    server = start_server(dir, "/ = " + library + "\n", {{"FLEXILIB_TEST_HOOK_LOG", hook_log}});
    REQUIRE(body_of(server->port()) == "v1");
  }
};

// Replaces the library with v2 the way `replace` does while four clients keep
// sending requests: v2 must answer within a second and no request may fail.
void check_replacement_under_load(void (*replace)(const std::string &, const std::string &)) {
  ReloadFixture fixture;
  SteadyClients clients(fixture.server->port(), 4);
  REQUIRE(eventually([&] { return clients.v1() > 20; }));
  replace(test_library("counter-v2"), fixture.library);
  CHECK(eventually([&] { return body_of(fixture.server->port()) == "v2"; }, 1s));
  REQUIRE(eventually([&] { return clients.v2() > 20; }));
  clients.stop();
  CHECK(clients.failed() == 0);
}

} // namespace

TEST_CASE("a library copied over in place is served within a second, no request failing",
          "[reload]") {
  check_replacement_under_load(copy_in_place);
}

TEST_CASE("a library renamed into place is served within a second, no request failing",
          "[reload]") {
  check_replacement_under_load(rename_into_place);
}

TEST_CASE("a broken replacement is never served, the next good one is", "[reload]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  SteadyClients clients(port, 4);
  const std::vector<std::pair<std::string, std::string>> broken_files{
      {build_path("test/libraries/not-a-library.so"), "not a shared library"},
      {test_library("no-handler"), "does not export handle_request"}};
  for (const auto &[broken, reason] : broken_files) {
    INFO(broken);
    copy_in_place(broken, fixture.library);
    CHECK(fixture.server->wait_for_stderr([&, &reason = reason](const std::string &line) {
      return line.find("load failed: " + fixture.library) != std::string::npos &&
             line.find(reason) != std::string::npos &&
             line.find("generation 1 keeps serving") != std::string::npos;
    }));
    CHECK(body_of(port) == "v1");
  }
  rename_into_place(test_library("counter-v2"), fixture.library);
  CHECK(eventually([&] { return body_of(port) == "v2"; }, 1s));
  clients.stop();
  CHECK(clients.failed() == 0);
  CHECK(clients.v2() + clients.v1() > 0);
}

TEST_CASE("a library its writer keeps open is reloaded after the quiet fallback", "[reload]") {
  ReloadFixture fixture;
  OpenWriter writer(fixture.library);
  writer.write(read_file(test_library("counter-v2")));
  // No close, no rename: only the fallback after the last write can pick it up.
  CHECK(eventually([&] { return body_of(fixture.server->port()) == "v2"; }));
}

TEST_CASE("a library half written is never loaded, however long its writer pauses", "[reload]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  const std::string v2 = read_file(test_library("counter-v2"));
  OpenWriter writer(fixture.library);
  writer.write(std::string_view(v2).substr(0, v2.size() / 2));
  // The pause outlasts the fallback: the half file is tried and refused, not mapped
  // (dlopen would map it and die of SIGBUS on the missing pages).
  CHECK(fixture.server->wait_for_stderr([&](const std::string &line) {
    return line.find("load failed: " + fixture.library + ": truncated") != std::string::npos &&
           line.find("generation 1 keeps serving") != std::string::npos;
  }));
  CHECK(body_of(port) == "v1");
  writer.write(std::string_view(v2).substr(v2.size() / 2));
  writer.close();
  CHECK(eventually([&] { return body_of(port) == "v2"; }, 1s));
  CHECK(fixture.server->stderr_text().find("serving process died") == std::string::npos);
}

TEST_CASE("a request in flight finishes on its generation, which closes after it", "[reload]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  SlowRequest slow(port, fixture.dir.file("in-handler"));
  REQUIRE(slow.reached_handler());

  rename_into_place(test_library("counter-v2"), fixture.library);
  CHECK(eventually([&] { return body_of(port) == "v2"; }, 1s));
  // Generation 1 is still running the slow request: not unloaded yet.
  CHECK(read_file(fixture.hook_log).find("unload v1") == std::string::npos);
  CHECK(slow.finish() == "v1");
  CHECK(eventually(
      [&] { return read_file(fixture.hook_log).find("unload v1") != std::string::npos; }));
  CHECK(read_file(fixture.hook_log) == "load v1\nload v2\nunload v1\n");
  CHECK(fixture.server->wait_for_stderr([&](const std::string &line) {
    return line.find("unloaded " + fixture.library + " generation 1: drained in") !=
           std::string::npos;
  }));
}

TEST_CASE("SIGHUP applies a new proxy.ini, requests in flight finish", "[reload][config]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  SlowRequest slow(port, fixture.dir.file("in-handler"));
  REQUIRE(slow.reached_handler());

  const std::string second = fixture.dir.file("libsecond.so");
  fs::copy_file(test_library("counter-v2"), second);
  fixture.dir.write_file("proxy.ini", "/new = " + second + "\n/ = " + fixture.library + "\n");
  fixture.server->send_signal(SIGHUP);
  CHECK(eventually([&] { return body_of(port, "/new") == "v2"; }));
  CHECK(body_of(port, "/old") == "v1");
  CHECK(slow.finish() == "v1");
}

TEST_CASE("SIGHUP with an invalid proxy.ini keeps the old routes and logs the line",
          "[reload][config]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  fixture.dir.write_file("proxy.ini", "/ = " + fixture.library + "\nthis is not a rule\n");
  fixture.server->send_signal(SIGHUP);
  CHECK(fixture.server->wait_for_stderr([](const std::string &line) {
    return line.find("not applied") != std::string::npos &&
           line.find("proxy.ini:2:") != std::string::npos;
  }));
  CHECK(body_of(port) == "v1");
}

TEST_CASE("SIGHUP drops a route, its library closes once unused", "[reload][config]") {
  ReloadFixture fixture;
  const int port = fixture.server->port();
  fixture.dir.write_file("proxy.ini",
                         "/other = " + build_path("executors/libflexilib-example.so") + "\n");
  fixture.server->send_signal(SIGHUP);
  CHECK(eventually([&] {
    return raw_request(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
               .rfind("HTTP/1.1 404", 0) == 0;
  }));
  CHECK(eventually(
      [&] { return read_file(fixture.hook_log).find("unload v1") != std::string::npos; }));
}
