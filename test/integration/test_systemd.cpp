// flexilib under systemd: the Type=notify messages a service manager receives, in
// order, on a datagram socket the test owns; and socket activation, with Debian's
// systemd-socket-activate opening the port and passing it to the server.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flexilib::test;

namespace {

std::string example_config() {
  return "/ = " + build_path("executors/libflexilib-example.so") + "\n";
}

// What systemd listens on: a datagram socket at a path (or "@name", abstract).
class FakeNotifySocket {
public:
  explicit FakeNotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    name_.copy(address.sun_path, sizeof address.sun_path - 1);
    const bool abstract = name_.starts_with('@');
    if (abstract) address.sun_path[0] = '\0';
    const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + name_.size() + !abstract);
    if (::bind(fd_, reinterpret_cast<sockaddr *>(&address), length) != 0)
      throw std::runtime_error("cannot bind the fake notify socket " + name_);
  }
  ~FakeNotifySocket() { ::close(fd_); }
  FakeNotifySocket(const FakeNotifySocket &) = delete;
  FakeNotifySocket &operator=(const FakeNotifySocket &) = delete;

  const std::string &name() const { return name_; }

  // The next datagram, or "" when none comes before the deadline.
  std::string next(Deadline deadline = 5s) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, int(deadline.count())) != 1) return "";
    char buffer[1024];
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    return got <= 0 ? "" : std::string(buffer, size_t(got));
  }

private:
  std::string name_;
  int fd_ = -1;
};

} // namespace

TEST_CASE("systemd: READY, STATUS, RELOADING/READY and STOPPING arrive in order", "[systemd]") {
  TempDir dir;
  FakeNotifySocket notify(dir.file("notify"));
  auto server = start_server(dir, example_config(), {{"NOTIFY_SOCKET", notify.name()}});

  // Sent by the serving process once its routes are loaded.
  CHECK(notify.next() == "READY=1\nSTATUS=1 route; 0 requests served");

  auto client = client_for(*server);
  auto result = client.Get("/hello");
  REQUIRE(result);
  CHECK(result->status == 200);
  // The status line follows the requests served (refreshed every second).
  CHECK(notify.next() == "STATUS=1 route; 1 request served");

  server->send_signal(SIGHUP); // what ExecReload=/bin/kill -HUP $MAINPID does
  const std::string reloading = notify.next();
  CHECK(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="));
  CHECK(notify.next() == "READY=1\nSTATUS=1 route; 1 request served");

  // A reload that is refused still ends in READY=1: the previous routes serve on.
  dir.write_file("proxy.ini", "this is not a rule\n");
  server->send_signal(SIGHUP);
  CHECK(notify.next().starts_with("RELOADING=1\n"));
  CHECK(notify.next() ==
        "READY=1\nSTATUS=1 route (last reload refused: previous routes kept); 1 request served");

  server->send_signal(SIGTERM);
  CHECK(notify.next().starts_with("STOPPING=1\n"));
  const auto status = server->wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(notify.next(200ms).empty()); // nothing after STOPPING
}

TEST_CASE("systemd: an abstract NOTIFY_SOCKET (@name) is reached", "[systemd]") {
  TempDir dir;
  FakeNotifySocket notify("@flexilib-test-" + std::to_string(::getpid()) + "-" +
                          dir.path().substr(dir.path().rfind('-') + 1));
  auto server = start_server(dir, example_config(), {{"NOTIFY_SOCKET", notify.name()}});
  CHECK(notify.next().starts_with("READY=1\n"));
}

TEST_CASE("systemd: an unusable NOTIFY_SOCKET is reported and the server serves anyway",
          "[systemd]") {
  TempDir dir;
  auto server = start_server(dir, example_config(), {{"NOTIFY_SOCKET", "relative/notify"}});
  CHECK(server->wait_for_stderr([](const std::string &line) {
    return line.find("NOTIFY_SOCKET=relative/notify is neither") != std::string::npos;
  }));
  auto client = client_for(*server);
  auto result = client.Get("/");
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("systemd: systemd-socket-activate passes the port and the server serves on it",
          "[systemd]") {
  TempDir dir;
  dir.write_file("proxy.ini", example_config());
  const std::string port = std::to_string(fixed_free_port());
  // PORT names the port systemd-socket-activate already holds: a server that bound
  // PORT itself instead of taking the passed socket would fail to start.
  ServerOptions options{dir.path(), {}, {}};
  options.launcher = {"/usr/bin/systemd-socket-activate", "--listen=127.0.0.1:" + port};
  for (const char *setting : {"SERVER_THREAD_COUNT=2", "ADMIN_PORT=off"})
    options.launcher.push_back(std::string("--setenv=") + setting);
  options.launcher.push_back("--setenv=PORT=" + port);
  ServerProcess server(options);
  REQUIRE(server.launch());
  REQUIRE(server.wait_for_stderr([&](const std::string &line) {
    return line.find("Listening on 127.0.0.1:" + port) != std::string::npos;
  }));

  // systemd-socket-activate starts the server on the first connection.
  httplib::Client client("127.0.0.1", std::stoi(port));
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto result = client.Get("/activated");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(server.wait_for_stderr([](const std::string &line) {
    return line.find("using the listening socket systemd passed") != std::string::npos;
  }));
  CHECK(server.wait_for_stderr(
      [&](const std::string &line) { return line == "flexilib: listening on 127.0.0.1:" + port; }));

  server.send_signal(SIGTERM);
  const auto status = server.wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("systemd: two passed sockets stop the server at start with the reason", "[systemd]") {
  TempDir dir;
  dir.write_file("proxy.ini", example_config());
  const int first_port = fixed_free_port();
  int second_port = fixed_free_port();
  while (second_port == first_port)
    second_port = fixed_free_port();
  const std::string first = std::to_string(first_port), second = std::to_string(second_port);
  ServerOptions options{dir.path(), {}, {}};
  options.launcher = {"/usr/bin/systemd-socket-activate", "--listen=127.0.0.1:" + first,
                      "--listen=127.0.0.1:" + second, "--setenv=ADMIN_PORT=off"};
  ServerProcess server(options);
  REQUIRE(server.launch());
  REQUIRE(server.wait_for_stderr([&](const std::string &line) {
    return line.find("Listening on 127.0.0.1:" + second) != std::string::npos;
  }));
  httplib::Client client("127.0.0.1", std::stoi(first));
  client.set_read_timeout(5);
  CHECK_FALSE(client.Get("/")); // the server exits instead of answering
  const auto status = server.wait_exit();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(server.stderr_text().find("flexilib: LISTEN_FDS=2: flexilib serves one port") !=
        std::string::npos);
}

TEST_CASE("systemd: LISTEN_FDS meant for another process is ignored and PORT is bound",
          "[systemd]") {
  TempDir dir;
  auto server = start_server(dir, example_config(), {{"LISTEN_FDS", "1"}, {"LISTEN_PID", "1"}});
  auto client = client_for(*server);
  auto result = client.Get("/");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(server->stderr_text().find("systemd passed") == std::string::npos);
}

TEST_CASE("systemd: the example units pass systemd-analyze verify", "[systemd]") {
  // The units as a user would install them, with ExecStart naming this build.
  TempDir dir;
  std::ifstream in(source_path("systemd/flexilib.service"));
  std::stringstream unit;
  unit << in.rdbuf();
  std::string text = unit.str();
  const std::string exec_start = "/usr/local/bin/flexilib /etc/flexilib/proxy.ini";
  REQUIRE(text.find(exec_start) != std::string::npos);
  text.replace(text.find(exec_start), exec_start.size(),
               std::string(FLEXILIB_BINARY) + " " + source_path("proxy.ini"));
  for (const char *setting :
       {"Type=notify", "NotifyAccess=all", "KillMode=mixed", "ExecReload=/bin/kill -HUP $MAINPID",
        "NoNewPrivileges=yes", "ProtectSystem=strict", "Environment=TMPDIR=/var/tmp"})
    CHECK(text.find(std::string("\n") + setting + "\n") != std::string::npos);
  dir.write_file("flexilib.service", text);
  std::ifstream socket_in(source_path("systemd/flexilib.socket"));
  std::stringstream socket_unit;
  socket_unit << socket_in.rdbuf();
  dir.write_file("flexilib.socket", socket_unit.str());

  const std::string command = "systemd-analyze verify '" + dir.file("flexilib.service") + "' '" +
                              dir.file("flexilib.socket") + "' 2>&1";
  FILE *pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[1024];
  while (size_t got = std::fread(buffer, 1, sizeof buffer, pipe))
    output.append(buffer, got);
  const int status = ::pclose(pipe);
  INFO(output);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(output.empty()); // no warnings either
}
