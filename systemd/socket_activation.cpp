// Reading LISTEN_FDS / LISTEN_PID and checking the socket they announce.
#include "systemd/socket_activation.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::systemd {

namespace {

// sd_listen_fds(3): passed descriptors start at 3.
constexpr int first_passed_fd = 3;

std::string variable(const char *name) {
  const char *value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

long number_or_minus_one(std::string_view text) {
  long value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return -1;
  return value;
}

std::string problem_with(int fd) {
  int type = 0, listening = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0)
    return std::string("fd 3 is not a socket (") + std::strerror(errno) + ")";
  length = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length);
  if (type != SOCK_STREAM || !listening)
    return "fd 3 is not a listening stream socket (ListenStream= in the .socket unit)";
  sockaddr_storage address{};
  length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6)
    return "fd 3 is not an IPv4 or IPv6 socket (flexilib serves TCP only)";
  return {};
}

} // namespace

PassedSocket take_passed_socket() {
  const std::string pid = variable("LISTEN_PID");
  const std::string count = variable("LISTEN_FDS");
  for (const char *name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"})
    ::unsetenv(name);
  if (count.empty()) return {};
  // Meant for the process systemd started, not for one that inherited the variables.
  if (number_or_minus_one(pid) != long(::getpid())) return {};

  const long fds = number_or_minus_one(count);
  if (fds < 1) return {-1, "LISTEN_FDS=" + count + " is not a positive number of passed sockets"};
  if (fds > 1)
    return {-1, "LISTEN_FDS=" + count +
                    ": flexilib serves one port and takes one socket (one ListenStream=)"};
  if (std::string problem = problem_with(first_passed_fd); !problem.empty())
    return {-1, "LISTEN_FDS=1 but " + problem};
  // What the Listener would have set on a socket of its own: the serving loop accepts
  // without blocking, and handler processes must not inherit the socket.
  ::fcntl(first_passed_fd, F_SETFL, ::fcntl(first_passed_fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(first_passed_fd, F_SETFD, FD_CLOEXEC);
  return {first_passed_fd, {}};
}

} // namespace flexilib::systemd
