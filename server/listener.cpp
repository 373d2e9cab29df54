// Creating the listening socket for an IPv4 or IPv6 address.
#include "server/listener.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::server {

namespace {
// The kernel caps this at net.core.somaxconn (4096 on current kernels).
constexpr int listen_backlog = 4096;
} // namespace

Listener::Listener(const std::string &address, int port) : address_(address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo *found = nullptr;
  const std::string service = std::to_string(port);
  if (int status = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &found); status != 0) {
    error_ =
        "LISTEN_ADDRESS \"" + address + "\" is not a numeric IP address: " + ::gai_strerror(status);
    return;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);

  fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  const int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd_, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd_, listen_backlog) != 0) {
    error_ = "cannot listen on " + address + ":" + service + ": " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  read_bound_address();
}

Listener::Listener(int listening_fd) : fd_(listening_fd) {
  read_bound_address();
}

void Listener::read_bound_address() {
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd_, reinterpret_cast<sockaddr *>(&bound), &length);
  const bool v6 = bound.ss_family == AF_INET6;
  auto &v4_address = reinterpret_cast<sockaddr_in &>(bound);
  auto &v6_address = reinterpret_cast<sockaddr_in6 &>(bound);
  port_ = ntohs(v6 ? v6_address.sin6_port : v4_address.sin_port);
  if (!address_.empty()) return; // keep the address as the user wrote it
  char text[INET6_ADDRSTRLEN] = "";
  ::inet_ntop(bound.ss_family,
              v6 ? static_cast<void *>(&v6_address.sin6_addr) : &v4_address.sin_addr, text,
              sizeof text);
  address_ = text;
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

} // namespace flexilib::server
