// The systemd protocol pieces: the status line, notification datagrams to a path and
// to an abstract socket, and which LISTEN_FDS/LISTEN_PID announcements are taken.
#include "systemd/service_notifier.hpp"
#include "systemd/service_status.hpp"
#include "systemd/socket_activation.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace flexilib::systemd;

namespace {

// A datagram socket bound where NOTIFY_SOCKET will name it: a path, or "@name".
class FakeNotifySocket {
public:
  explicit FakeNotifySocket(const std::string &name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    name.copy(address.sun_path, name.size());
    const bool abstract = name.starts_with('@');
    if (abstract) address.sun_path[0] = '\0';
    const auto length = socklen_t(offsetof(sockaddr_un, sun_path) + name.size() + !abstract);
    if (!abstract) ::unlink(name.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr *>(&address), length) == 0);
  }
  ~FakeNotifySocket() { ::close(fd_); }

  std::string receive() {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 2000) != 1) return "(nothing within 2 s)";
    char buffer[512];
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    return got < 0 ? "(recv failed)" : std::string(buffer, size_t(got));
  }

private:
  int fd_ = -1;
};

std::string unique_name(const std::string &prefix) {
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(std::rand());
}

} // namespace

TEST_CASE("the status line counts routes and requests", "[systemd]") {
  CHECK(status_line(1, 1, false) == "STATUS=1 route; 1 request served");
  CHECK(status_line(3, 1024, false) == "STATUS=3 routes; 1024 requests served");
  CHECK(status_line(2, 0, true) ==
        "STATUS=2 routes (last reload refused: previous routes kept); 0 requests served");
}

TEST_CASE("notifications reach a socket named by a path, and the variable is removed",
          "[systemd]") {
  const std::string path = "/tmp/" + unique_name("flexilib-notify-");
  FakeNotifySocket socket(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  std::string error;
  const ServiceNotifier notifier = ServiceNotifier::from_environment(error);
  CHECK(error.empty());
  CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
  REQUIRE(notifier.enabled());
  CHECK(notifier.notify("READY=1\nSTATUS=hello"));
  CHECK(socket.receive() == "READY=1\nSTATUS=hello");
  ::unlink(path.c_str());
}

TEST_CASE("notifications reach an abstract socket named with @", "[systemd]") {
  const std::string name = unique_name("@flexilib-notify-");
  FakeNotifySocket socket(name);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  std::string error;
  const ServiceNotifier notifier = ServiceNotifier::from_environment(error);
  REQUIRE(notifier.enabled());
  CHECK(notifier.notify("STOPPING=1"));
  CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("RELOADING=1 carries the monotonic time systemd 253 asks for", "[systemd]") {
  const std::string message = reloading_message();
  CHECK(message.starts_with("RELOADING=1\nMONOTONIC_USEC="));
  CHECK(std::stoll(message.substr(message.find('=', 12) + 1)) > 0);
}

TEST_CASE("no NOTIFY_SOCKET notifies nobody, and a relative one is an error", "[systemd]") {
  ::unsetenv("NOTIFY_SOCKET");
  std::string error;
  CHECK_FALSE(ServiceNotifier::from_environment(error).enabled());
  CHECK(error.empty());
  ::setenv("NOTIFY_SOCKET", "run/notify", 1);
  CHECK_FALSE(ServiceNotifier::from_environment(error).enabled());
  CHECK(error.find("neither an absolute path nor an abstract name") != std::string::npos);
}

TEST_CASE("socket activation: variables for another process are ignored and removed", "[systemd]") {
  ::setenv("LISTEN_FDS", "1", 1);
  ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
  const PassedSocket passed = take_passed_socket();
  CHECK(passed.fd == -1);
  CHECK(passed.error.empty());
  CHECK(std::getenv("LISTEN_FDS") == nullptr);
  CHECK(std::getenv("LISTEN_PID") == nullptr);
}

TEST_CASE("socket activation: no variables, no socket", "[systemd]") {
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_PID");
  const PassedSocket passed = take_passed_socket();
  CHECK(passed.fd == -1);
  CHECK(passed.error.empty());
}

TEST_CASE("socket activation: more than one socket, or a count that is no number, is refused",
          "[systemd]") {
  for (const char *count : {"2", "0", "x"}) {
    ::setenv("LISTEN_FDS", count, 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    const PassedSocket passed = take_passed_socket();
    INFO(count);
    CHECK(passed.fd == -1);
    CHECK(passed.error.starts_with(std::string("LISTEN_FDS=") + count));
  }
}

TEST_CASE("socket activation: fd 3 must be a listening TCP socket", "[systemd]") {
  // Whatever this process has at fd 3 is put aside and restored afterwards.
  const int saved = ::fcntl(3, F_DUPFD_CLOEXEC, 10);
  // A new descriptor is the lowest free one: 3 itself when nothing is open there, as
  // when unit_tests runs from a shell (under ctest, something already is). It is then
  // passed as it is, not closed after a dup2 onto itself.
  const auto pass_as_fd_3 = [](int fd) {
    if (fd != 3) {
      REQUIRE(::dup2(fd, 3) == 3);
      ::close(fd);
    }
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    return take_passed_socket();
  };

  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  ::close(pipe_ends[1]);
  const PassedSocket pipe = pass_as_fd_3(pipe_ends[0]);
  CHECK(pipe.fd == -1);
  CHECK(pipe.error.find("not a socket") != std::string::npos);

  const int unbound = ::socket(AF_INET, SOCK_STREAM, 0);
  const PassedSocket not_listening = pass_as_fd_3(unbound);
  CHECK(not_listening.error.find("not a listening stream socket") != std::string::npos);

  const int listening = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in loopback{};
  loopback.sin_family = AF_INET;
  loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listening, reinterpret_cast<sockaddr *>(&loopback), sizeof loopback) == 0);
  REQUIRE(::listen(listening, 1) == 0);
  const PassedSocket taken = pass_as_fd_3(listening);
  CHECK(taken.error.empty());
  CHECK(taken.fd == 3);
  CHECK((::fcntl(3, F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(3, F_GETFD) & FD_CLOEXEC) != 0);

  ::close(3);
  if (saved >= 0) {
    ::dup2(saved, 3);
    ::close(saved);
  }
}
