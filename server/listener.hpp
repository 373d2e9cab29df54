// The listening socket, made here rather than by cpp-httplib so that its options are
// chosen deliberately: a backlog that survives a connection burst (cpp-httplib 0.11
// compiles in 5), non-blocking accepts for the epoll loop, and address reuse.
#pragma once

#include <string>

namespace flexilib::server {

class Listener {
public:
  // Binds and listens; on failure fd() is -1 and error() says why.
  Listener(const std::string &address, int port);
  // Adopts a socket already bound and listening (one systemd passed), non-blocking.
  explicit Listener(int listening_fd);
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

  int fd() const { return fd_; }
  int port() const { return port_; } // the real port, also when 0 was asked for
  const std::string &address() const { return address_; }
  const std::string &error() const { return error_; }

private:
  void read_bound_address();

  int fd_ = -1;
  int port_ = 0;
  std::string address_;
  std::string error_;
};

} // namespace flexilib::server
