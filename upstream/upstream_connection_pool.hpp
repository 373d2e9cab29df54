// Connections to upstreams: opening one (non-blocking, bounded by
// UPSTREAM_CONNECT_TIMEOUT_MS) and the pool of idle keep-alive ones, shared by the
// serving threads: a relay parked in the epoll set may finish on another thread than
// the one that began it, and with every proxied request in flight at once the pool
// holds as many connections as there were requests. Each connection joins the epoll
// set once, when it opens (server/socket_links), and is never re-armed.
#pragma once

#include "upstream/upstream_url.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace flexilib::upstream {

// An owned socket, closed when dropped.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }

private:
  int fd_ = -1;
};

// A connection to an upstream: its socket and its link in the serving threads' epoll
// set (SocketLinks::none outside a server, as in unit tests).
class UpstreamSocket {
public:
  UpstreamSocket() = default;
  explicit UpstreamSocket(UniqueFd fd);
  UpstreamSocket(UpstreamSocket &&other) noexcept
      : fd_(std::move(other.fd_)), link_(std::exchange(other.link_, none)) {}
  UpstreamSocket &operator=(UpstreamSocket &&other) noexcept;
  ~UpstreamSocket();
  int get() const { return fd_.get(); }
  uint32_t link() const { return link_; }
  explicit operator bool() const { return bool(fd_); }
  // Leaves the epoll set and hands the descriptor over (the byte tunnel polls it).
  UniqueFd release();

private:
  static constexpr uint32_t none = ~uint32_t(0);
  void unlink();
  UniqueFd fd_;
  uint32_t link_ = none;
};

enum class ConnectError { none, refused, timed_out };

struct Connected {
  UpstreamSocket socket; // non-blocking, TCP_NODELAY
  ConnectError error = ConnectError::none;
};

// Opens a connection to the upstream, waiting `timeout_ms` at most.
Connected connect_upstream(const UpstreamUrl &upstream, int timeout_ms);

class UpstreamConnectionPool {
public:
  // The process's pool.
  static UpstreamConnectionPool &shared();

  // An idle connection to the upstream that is still open, or none. One the upstream
  // has closed (or written to unasked) meanwhile is dropped here rather than used: an
  // event came for it while it was idle (SocketLinks::touched), and a look at it
  // (MSG_PEEK) finds bytes or its end. Sockets nothing happened to are not looked at.
  UpstreamSocket take(const UpstreamUrl &upstream);
  // Keeps a connection whose last response ended cleanly, for the next request.
  void give_back(const UpstreamUrl &upstream, UpstreamSocket socket);

  // Idle connections kept per upstream server, as nginx's "keepalive 64" per worker
  // times two: every request in flight needs one, and past this many the upstream's
  // descriptors would be held for nothing.
  static constexpr size_t max_idle_per_upstream = 128;

private:
  struct Idle {
    std::string host;
    int port = 0;
    std::vector<UpstreamSocket> sockets;
  };
  Idle &idle_for(const UpstreamUrl &upstream); // mutex_ held
  std::mutex mutex_;
  std::vector<Idle> idle_;
};

} // namespace flexilib::upstream
