// The admin listener: binding, the request checks, its thread and stopping.
#include "admin/admin_server.hpp"

#include "admin/admin_checks.hpp"
#include "admin/dashboard.hpp"
#include "server/escaped_exception.hpp"

#include <cstring>
#include <exception>

namespace flexilib::admin {

namespace {

using server::address_and_port;

// Two threads: one admin request may take long (a reload loading a library) without
// holding up /healthz.
constexpr size_t admin_threads = 2;
constexpr size_t max_admin_body_bytes = 64 * 1024;

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
  const int error = server::bind_error(options.address, options.port);
  return error == 0 ? std::string() : cannot_listen(options, error);
}

AdminServer::AdminServer(AdminOptions options, AdminContext context)
    : options_(std::move(options)), context_(std::move(context)),
      listener_("flexilib-admin", admin_threads) {}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::install_handlers() {
  // Every path and method reaches answer(), which checks the request and then
  // routes it through the endpoint table. A request without a body is answered
  // before cpp-httplib would try to read one: `curl -X POST` sends no
  // Content-Length, which cpp-httplib 0.11 would refuse with 400. A request with a
  // body reaches answer() once cpp-httplib has read it.
  listener_.server().set_pre_routing_handler(
      [this](const httplib::Request &request, httplib::Response &response) {
        if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding"))
          return httplib::Server::HandlerResponse::Unhandled;
        answer(request, response);
        return httplib::Server::HandlerResponse::Handled;
      });
  const auto handler = [this](const httplib::Request &request, httplib::Response &response) {
    answer(request, response);
  };
  httplib::Server &server = listener_.server();
  server.Get(".*", handler).Post(".*", handler).Put(".*", handler);
  server.Patch(".*", handler).Delete(".*", handler).Options(".*", handler);
  // cpp-httplib's own answers (400 for a malformed request, 413) get a JSON body.
  const httplib::Server::HandlerWithResponse json_error = [](const httplib::Request &,
                                                             httplib::Response &response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    send_error(response, response.status,
               "cpp-httplib refused the request (HTTP " + std::to_string(response.status) + ")");
    return httplib::Server::HandlerResponse::Handled;
  };
  server.set_error_handler(json_error);
  server.set_exception_handler(
      [](const httplib::Request &request, httplib::Response &response, std::exception_ptr escaped) {
        server::answer_escaped_exception("admin", request, response, escaped);
        send_error(response, 500, "internal error (the server log says which)");
      });
}

std::string AdminServer::start() {
  if (std::string refusal = loopback_refusal(options_); !refusal.empty()) return refusal;

  install_handlers();
  // One request a connection: a client keeping its connection open cannot hold one
  // of the two threads for the keep-alive time.
  listener_.server().set_keep_alive_max_count(1);
  listener_.server().set_payload_max_length(max_admin_body_bytes);
  if (const int error = listener_.start(options_.address, options_.port); error != 0)
    return cannot_listen(options_, error);
  return {};
}

void AdminServer::stop() {
  listener_.stop();
}

std::string AdminServer::where() const {
  return address_and_port(options_.address,
                          listener_.port() < 0 ? options_.port : listener_.port());
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
