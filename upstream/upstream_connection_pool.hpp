// Connections to upstreams: opening one (non-blocking, bounded by
// UPSTREAM_CONNECT_TIMEOUT_MS) and each serving thread's pool of idle keep-alive
// ones. A serving thread relays one request at a time, so its pool is its own:
// taking and giving back a connection takes no lock and allocates nothing once the
// thread has met the upstream.
#pragma once

#include "upstream/upstream_url.hpp"

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

enum class ConnectError { none, refused, timed_out };

struct Connected {
  UniqueFd socket; // non-blocking, TCP_NODELAY
  ConnectError error = ConnectError::none;
};

// Opens a connection to the upstream, waiting `timeout_ms` at most.
Connected connect_upstream(const UpstreamUrl &upstream, int timeout_ms);

class UpstreamConnectionPool {
public:
  // The calling thread's pool.
  static UpstreamConnectionPool &of_this_thread();

  // An idle connection to the upstream that is still open, or none. One the upstream
  // has closed (or written to unasked) meanwhile is dropped here rather than used.
  UniqueFd take(const UpstreamUrl &upstream);
  // Keeps a connection whose last response ended cleanly, for the next request.
  void give_back(const UpstreamUrl &upstream, UniqueFd socket);

  // Idle connections kept per upstream: a thread relays one request at a time, so it
  // needs one; a second survives a retry on a fresh connection. More would only hold
  // the upstream's descriptors.
  static constexpr size_t max_idle_per_upstream = 2;

private:
  struct Idle {
    std::string host;
    int port = 0;
    std::vector<UniqueFd> sockets;
  };
  Idle &idle_for(const UpstreamUrl &upstream);
  std::vector<Idle> idle_;
};

} // namespace flexilib::upstream
