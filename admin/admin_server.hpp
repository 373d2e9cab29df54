// The admin endpoint's listener: a second cpp-httplib server on its own address,
// port and thread, so it answers while every serving thread is busy. It is for the
// machine's own operator: loopback only unless a token guards it, and every request
// passes Caddy's checks (loopback Host, loopback Origin on POST) before the
// endpoint table in endpoints.hpp sees it.
#pragma once

#include "admin/endpoints.hpp"

#include <condition_variable>
#include <httplib.h>
#include <mutex>
#include <string>
#include <thread>

namespace flexilib::admin {

// Filled from Settings (ADMIN_*), whose table holds the defaults.
struct AdminOptions {
  std::string address; // numeric IPv4 or IPv6
  int port = 0;        // 0 picks a free port
  std::string token;   // empty: none; else "Authorization: Bearer <token>"
};

// Why the admin endpoint cannot start with these options (empty when it can): an
// address that is not loopback without a token (the endpoint reloads and shows every
// request), or a port another process holds. Checked once before the supervisor
// starts serving processes, so that the problem stops the server at start instead of
// failing every serving process it would start.
std::string refusal_at_start(const AdminOptions &options);

class AdminServer {
public:
  AdminServer(AdminOptions options, AdminContext context);
  ~AdminServer(); // stops
  AdminServer(const AdminServer &) = delete;
  AdminServer &operator=(const AdminServer &) = delete;

  // Binds and starts answering on its own thread; an error message when it cannot
  // (an address that is not loopback without a token, or the port cannot be bound).
  // Call it with the control signals blocked: its threads inherit the mask.
  std::string start();

  // Stops accepting, finishes the requests in progress and joins the threads.
  void stop();

  // "127.0.0.1:8070" or "[::1]:8070", once started.
  std::string where() const;

private:
  void install_handlers();
  void answer(const httplib::Request &request, httplib::Response &response);
  void mark_loop_started();

  const AdminOptions options_;
  AdminContext context_;
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;

  // cpp-httplib's stop() does nothing until its loop has begun, so start() waits
  // for the loop before returning and stop() can never be lost.
  std::mutex loop_mutex_;
  std::condition_variable loop_changed_;
  bool loop_started_ = false;
};

} // namespace flexilib::admin
