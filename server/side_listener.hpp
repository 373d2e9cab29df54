// A cpp-httplib server on its own address, port and threads, beside the serving
// threads: the admin endpoint and the Lambda Invoke API each run one, so they answer
// whatever the traffic port is doing. The owner installs its handlers on server()
// before start().
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace flexilib::server {

// "127.0.0.1:8070" or "[::1]:8070".
std::string address_and_port(const std::string &address, int port);

// The errno of binding a socket to `address` (numeric) and `port` as a SideListener
// binds its own; 0 when it can. Lets a port another process holds stop the server at
// start, before the supervisor starts serving processes that would each fail.
int bind_error(const std::string &address, int port);

class SideListener {
public:
  // `thread_name` names its accepting thread; `threads` answer requests.
  SideListener(std::string thread_name, size_t threads);
  ~SideListener(); // stops
  SideListener(const SideListener &) = delete;
  SideListener &operator=(const SideListener &) = delete;

  httplib::Server &server() { return server_; }

  // Binds (port 0 picks a free port) and starts answering on its own threads; the
  // errno when it cannot bind, else 0. Call it with the control signals blocked:
  // its threads inherit the mask.
  int start(const std::string &address, int port);

  // Stops accepting, finishes the requests in progress and joins the threads.
  void stop();

  // The bound port once started, else -1.
  int port() const { return port_; }

private:
  void mark_loop_started();

  const std::string thread_name_;
  const size_t threads_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;

  // cpp-httplib's stop() does nothing until its loop has begun, so start() waits
  // for the loop before returning and stop() can never be lost.
  std::mutex loop_mutex_;
  std::condition_variable loop_changed_;
  bool loop_started_ = false;
};

} // namespace flexilib::server
