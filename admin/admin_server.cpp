// The admin listener: binding, the request checks, its thread and stopping.
#include "admin/admin_server.hpp"

#include "admin/admin_checks.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <pthread.h>

namespace flexilib::admin {

namespace {

// Two threads: one admin request may take long (a reload loading a library) without
// holding up /healthz.
constexpr size_t admin_threads = 2;
constexpr size_t max_admin_body_bytes = 64 * 1024;

} // namespace

AdminServer::AdminServer(AdminOptions options, AdminContext context)
    : options_(std::move(options)), context_(std::move(context)) {}

AdminServer::~AdminServer() {
  stop();
}

std::string options_refusal(const AdminOptions &options) {
  if (!options.token.empty() || is_loopback_address(options.address)) return {};
  return "ADMIN_ADDRESS=" + options.address +
         " is not a loopback address: the admin endpoint reloads and shows every request, "
         "so set ADMIN_TOKEN to require a token, or use 127.0.0.1 (ADMIN_PORT=off disables it)";
}

std::string AdminServer::start() {
  if (std::string refusal = options_refusal(options_); !refusal.empty()) return refusal;

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
      [](const httplib::Request &, httplib::Response &response, std::exception_ptr failure) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception &error) {
          what = error.what();
        } catch (...) {
        }
        send_error(response, 500, what);
      });
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
  if (port_ < 0)
    return "admin: cannot listen on " + where() + " (" + std::strerror(errno) +
           "); ADMIN_PORT=off disables the admin endpoint";

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
  const std::string port = std::to_string(port_ < 0 ? options_.port : port_);
  if (options_.address.find(':') != std::string::npos) return "[" + options_.address + "]:" + port;
  return options_.address + ":" + port;
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
