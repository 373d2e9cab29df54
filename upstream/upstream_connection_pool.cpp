// Opening upstream connections and keeping idle ones for the next request.
#include "upstream/upstream_connection_pool.hpp"

#include "server/socket_links.hpp"

#include <cerrno>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::upstream {

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UpstreamSocket::UpstreamSocket(UniqueFd fd)
    : fd_(std::move(fd)), link_(server::SocketLinks::shared().add(fd_.get())) {}

UpstreamSocket &UpstreamSocket::operator=(UpstreamSocket &&other) noexcept {
  if (this != &other) {
    unlink();
    fd_ = std::move(other.fd_);
    link_ = std::exchange(other.link_, none);
  }
  return *this;
}

UpstreamSocket::~UpstreamSocket() {
  unlink();
}

void UpstreamSocket::unlink() {
  // Closing the descriptor takes it out of the epoll set. An event already taken for
  // the link may still reach whichever socket gets the link next: a spurious turn
  // for its connection, which finds nothing to do.
  if (link_ != none) server::SocketLinks::shared().remove(std::exchange(link_, none));
}

UniqueFd UpstreamSocket::release() {
  if (link_ != none) server::SocketLinks::shared().leave_set(fd_.get());
  unlink();
  return std::move(fd_);
}

namespace {

struct AddressList { // getaddrinfo's answer, freed when dropped
  addrinfo *first = nullptr;
  ~AddressList() {
    if (first != nullptr) ::freeaddrinfo(first);
  }
};

// Connects to one address; the wait is shared by every address tried.
Connected connect_address(const addrinfo &address, int timeout_ms) {
  UniqueFd socket(::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                           address.ai_protocol));
  if (!socket) return {{}, ConnectError::refused};
  const int one = 1;
  ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(socket.get(), address.ai_addr, address.ai_addrlen) == 0)
    return {UpstreamSocket(std::move(socket))};
  if (errno != EINPROGRESS) return {{}, ConnectError::refused};
  pollfd entry{socket.get(), POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) return {{}, ConnectError::timed_out};
  int error = 0;
  socklen_t length = sizeof error;
  if (ready < 0 || ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
      error != 0)
    return {{}, ConnectError::refused};
  return {UpstreamSocket(std::move(socket))};
}

} // namespace

Connected connect_upstream(const UpstreamUrl &upstream, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  char port[8];
  snprintf(port, sizeof port, "%d", upstream.port);
  AddressList addresses;
  if (::getaddrinfo(upstream.host.c_str(), port, &hints, &addresses.first) != 0)
    return {{}, ConnectError::refused};
  Connected last{{}, ConnectError::refused};
  for (const addrinfo *address = addresses.first; address != nullptr; address = address->ai_next) {
    last = connect_address(*address, timeout_ms);
    if (last.socket || last.error == ConnectError::timed_out) return last;
  }
  return last;
}

UpstreamConnectionPool &UpstreamConnectionPool::shared() {
  static UpstreamConnectionPool pool;
  return pool;
}

UpstreamConnectionPool::Idle &UpstreamConnectionPool::idle_for(const UpstreamUrl &upstream) {
  for (Idle &idle : idle_)
    if (idle.port == upstream.port && idle.host == upstream.host) return idle;
  idle_.push_back({upstream.host, upstream.port, {}});
  return idle_.back();
}

namespace {
// An idle connection has nothing to read: a byte or an EOF means the upstream closed
// it (its keep-alive timeout) or broke the protocol.
bool still_open(const UpstreamSocket &socket) {
  char byte;
  const ssize_t got = ::recv(socket.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}
} // namespace

UpstreamSocket UpstreamConnectionPool::take(const UpstreamUrl &upstream) {
  UpstreamSocket socket;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      std::vector<UpstreamSocket> &sockets = idle_for(upstream).sockets;
      if (sockets.empty()) return {};
      socket = std::move(sockets.back()); // the most recently used: the least likely closed
      sockets.pop_back();
    }
    // Outside a server (no link) every socket is looked at, as nothing reports on it.
    const bool suspect = socket.link() == server::SocketLinks::none ||
                         server::SocketLinks::shared().touched(socket.link());
    if (!suspect || still_open(socket)) return socket;
  }
}

void UpstreamConnectionPool::give_back(const UpstreamUrl &upstream, UpstreamSocket socket) {
  if (socket.link() != server::SocketLinks::none)
    server::SocketLinks::shared().disown(socket.link());
  std::lock_guard lock(mutex_);
  std::vector<UpstreamSocket> &sockets = idle_for(upstream).sockets;
  if (sockets.size() < max_idle_per_upstream) sockets.push_back(std::move(socket));
}

} // namespace flexilib::upstream
