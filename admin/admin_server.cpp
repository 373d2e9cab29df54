// The admin listener: binding, the request checks, its thread and stopping.
#include "admin/admin_server.hpp"

#include "admin/admin_checks.hpp"
#include "admin/dashboard.hpp"
#include "server/escaped_exception.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <exception>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::admin {

namespace {

// Two threads: one admin request may take long (a reload loading a library) without
// holding up /healthz.
constexpr size_t admin_threads = 2;
constexpr size_t max_admin_body_bytes = 64 * 1024;

std::string address_and_port(const std::string &address, int port) {
  const std::string host = address.find(':') == std::string::npos ? address : "[" + address + "]";
  return host + ":" + std::to_string(port);
}

// cpp-httplib's default sets SO_REUSEPORT, which would let a second flexilib bind the
// same admin port and have the kernel share requests between the two servers.
void set_reuse_address(int socket) {
  const int on = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
}

// The errno of binding a socket as the admin server binds its own; 0 when it can.
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

std::string loopback_refusal(const AdminOptions &options) {
  if (!options.token.empty() || is_loopback_address(options.address)) return {};
  return "ADMIN_ADDRESS=" + options.address +
         " is not a loopback address: the admin endpoint reloads and shows every request, "
         "so set ADMIN_TOKEN to require a token, or use 127.0.0.1 (ADMIN_PORT=off disables it)";
}

std::string cannot_listen(const AdminOptions &options, int error) {
  return "admin: cannot listen on " + address_and_port(options.address, options.port) + " (" +
         std::strerror(error) + "); ADMIN_PORT sets another port, off disables the endpoint";
}

} // namespace

std::string refusal_at_start(const AdminOptions &options) {
  if (std::string refusal = loopback_refusal(options); !refusal.empty()) return refusal;
  if (options.port == 0) return {};
  const int error = bind_error(options.address, options.port);
  return error == 0 ? std::string() : cannot_listen(options, error);
}

AdminServer::AdminServer(AdminOptions options, AdminContext context)
    : options_(std::move(options)), context_(std::move(context)) {}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::install_handlers() {
  // Every path and method reaches answer(), which checks the request and then
  // routes it through the endpoint table. A request without a body is answered
  // before cpp-httplib would try to read one: `curl -X POST` sends no
  // Content-Length, which cpp-httplib 0.11 would refuse with 400. A request with a
  // body reaches answer() once cpp-httplib has read it.
  server_.set_pre_routing_handler(
      [this](const httplib::Request &request, httplib::Response &response) {
        if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding"))
          return httplib::Server::HandlerResponse::Unhandled;
        answer(request, response);
        return httplib::Server::HandlerResponse::Handled;
      });
  const auto handler = [this](const httplib::Request &request, httplib::Response &response) {
    answer(request, response);
  };
  server_.Get(".*", handler).Post(".*", handler).Put(".*", handler);
  server_.Patch(".*", handler).Delete(".*", handler).Options(".*", handler);
  // cpp-httplib's own answers (400 for a malformed request, 413) get a JSON body.
  const httplib::Server::HandlerWithResponse json_error = [](const httplib::Request &,
                                                             httplib::Response &response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    send_error(response, response.status,
               "cpp-httplib refused the request (HTTP " + std::to_string(response.status) + ")");
    return httplib::Server::HandlerResponse::Handled;
  };
  server_.set_error_handler(json_error);
  server_.set_exception_handler(
      [](const httplib::Request &request, httplib::Response &response, std::exception_ptr escaped) {
        server::answer_escaped_exception("admin", request, response, escaped);
        send_error(response, 500, "internal error (the server log says which)");
      });
}

std::string AdminServer::start() {
  if (std::string refusal = loopback_refusal(options_); !refusal.empty()) return refusal;

  install_handlers();
  server_.set_socket_options(set_reuse_address);
  // One request a connection: a client keeping its connection open cannot hold one
  // of the two threads for the keep-alive time.
  server_.set_keep_alive_max_count(1);
  server_.set_payload_max_length(max_admin_body_bytes);
  server_.new_task_queue = [this] {
    mark_loop_started(); // cpp-httplib calls this once its loop is running
    return new httplib::ThreadPool(admin_threads); // cpp-httplib owns and deletes it
  };

  port_ = options_.port == 0
              ? server_.bind_to_any_port(options_.address)
              : (server_.bind_to_port(options_.address, options_.port) ? options_.port : -1);
  if (port_ < 0) return cannot_listen(options_, errno);

  thread_ = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "flexilib-admin");
    server_.listen_after_bind();
    mark_loop_started(); // also when the loop failed before it began
  });
  std::unique_lock lock(loop_mutex_);
  loop_changed_.wait(lock, [this] { return loop_started_; });
  return {};
}

void AdminServer::mark_loop_started() {
  {
    std::lock_guard lock(loop_mutex_);
    loop_started_ = true;
  }
  loop_changed_.notify_all();
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

std::string AdminServer::where() const {
  return address_and_port(options_.address, port_ < 0 ? options_.port : port_);
}

void AdminServer::answer(const httplib::Request &request, httplib::Response &response) {
  const std::string host = request.get_header_value("Host");
  if (!host_allowed(host, options_.address)) {
    send_error(response, 403,
               "Host \"" + host +
                   "\" is not this machine's loopback: the admin endpoint refuses it "
                   "(DNS rebinding protection)");
    return;
  }
  if (wants_dashboard(request)) {
    send_dashboard(response);
    return;
  }
  if (!options_.token.empty() &&
      !bearer_token_matches(request.get_header_value("Authorization"), options_.token)) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"flexilib admin\"");
    send_error(response, 401, "this admin endpoint needs Authorization: Bearer <ADMIN_TOKEN>");
    return;
  }
  const bool safe_method = request.method == "GET" || request.method == "HEAD";
  if (!safe_method && request.has_header("Origin") &&
      !origin_allowed(request.get_header_value("Origin"), options_.address)) {
    send_error(response, 403,
               "Origin \"" + request.get_header_value("Origin") +
                   "\" is not a loopback origin: the admin endpoint refuses cross-site requests");
    return;
  }
  dispatch(request, response, context_);
}

} // namespace flexilib::admin
