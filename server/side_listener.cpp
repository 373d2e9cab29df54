// A side listener: binding, its threads and stopping.
#include "server/side_listener.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::server {

namespace {

// cpp-httplib's default sets SO_REUSEPORT, which would let a second flexilib bind the
// same port and have the kernel share requests between the two servers.
void set_reuse_address(int socket) {
  const int on = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
}

} // namespace

std::string address_and_port(const std::string &address, int port) {
  const std::string host = address.find(':') == std::string::npos ? address : "[" + address + "]";
  return host + ":" + std::to_string(port);
}

int bind_error(const std::string &address, int port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto &v4 = reinterpret_cast<sockaddr_in &>(storage);
  auto &v6 = reinterpret_cast<sockaddr_in6 &>(storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(uint16_t(port));
    length = sizeof v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(uint16_t(port));
    length = sizeof v6;
  } else {
    return EINVAL;
  }
  const int socket = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket < 0) return errno;
  set_reuse_address(socket);
  const int error = ::bind(socket, reinterpret_cast<sockaddr *>(&storage), length) == 0 ? 0 : errno;
  ::close(socket);
  return error;
}

SideListener::SideListener(std::string thread_name, size_t threads)
    : thread_name_(std::move(thread_name)), threads_(threads) {}

SideListener::~SideListener() {
  stop();
}

int SideListener::start(const std::string &address, int port) {
  server_.set_socket_options(set_reuse_address);
  server_.new_task_queue = [this] {
    mark_loop_started();                      // cpp-httplib calls this once its loop is running
    return new httplib::ThreadPool(threads_); // cpp-httplib owns and deletes it
  };

  port_ = port == 0 ? server_.bind_to_any_port(address)
                    : (server_.bind_to_port(address, port) ? port : -1);
  if (port_ < 0) return errno;

  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), thread_name_.c_str());
    server_.listen_after_bind();
    mark_loop_started(); // also when the loop failed before it began
  });
  std::unique_lock lock(loop_mutex_);
  loop_changed_.wait(lock, [this] { return loop_started_; });
  return 0;
}

void SideListener::mark_loop_started() {
  {
    std::lock_guard lock(loop_mutex_);
    loop_started_ = true;
  }
  loop_changed_.notify_all();
}

void SideListener::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

} // namespace flexilib::server
