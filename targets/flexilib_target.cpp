// Calling a FlexiLib library's handle_request for one request.
#include "targets/flexilib_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "loader/entry_point_call.hpp"
#include "server/error_response.hpp"
#include "server/response_translation.hpp"
#include "server/zig_allocator.hpp"
#include "targets/handler_window.hpp"

namespace flexilib::targets {

flexilib_request c_request_of(const Exchange &exchange) {
  const httplib::Request &request = exchange.request;
  return flexilib_request{
      request.target.data(),
      request.target.size(),
      const_cast<char *>(request.method.c_str()),
      request.method.size(),
      const_cast<char *>(exchange.body.data()),
      exchange.body.size(),
      exchange.headers,
      exchange.header_count,
  };
}

HandlerResult call_handle_request(const loader::Library &library, Exchange &exchange,
                                  flexilib_request &c_request) {
  const httplib::Request &request = exchange.request;
  const std::string_view path = library.path(), route = exchange.route;
  HandlerResult result;
  result.threw =
      !loader::call_entry_point(
          {path, "zigInit", route, request.method, request.target},
          [&] { library.zig_init(server::zig_allocator_for(exchange.arena)); }) ||
      !loader::call_entry_point({path, "handle_request", route, request.method, request.target},
                                [&] { result.response = library.handle_request(&c_request); });
  return result;
}

void answer_from_c_response(const Exchange &exchange, const HandlerResult &result,
                            server::ResponseMessage &response) {
  const httplib::Request &request = exchange.request;
  const std::string &library = exchange.library->path();
  const flexilib_response *c_response = result.response;
  if (result.threw)
    return server::respond_with_error(response, 500,
                                      "500 Internal Server Error: the handler failed");
  if (c_response == nullptr) {
    diagnostics::write_diagnostic(library + ": handle_request returned NULL for " + request.method +
                                  " " + request.target);
    return server::respond_with_error(response, 500,
                                      "500 Internal Server Error: the handler failed");
  }
  if (std::string problem = server::translate_response(*c_response, response); !problem.empty()) {
    diagnostics::write_diagnostic(library + ": " + problem + " (" + request.method + " " +
                                  request.target + ")");
    server::respond_with_error(response, 500,
                               "500 Internal Server Error: the handler's response is invalid");
  }
}

const char *FlexiLibTarget::missing_entry_point(const loader::Library &library) const {
  return library.has_handle_request() ? nullptr : "handle_request";
}

void FlexiLibTarget::serve(Exchange &exchange, server::ResponseMessage &response) const {
  const loader::Library *library = take_library(exchange, response);
  if (library == nullptr) return;
  flexilib_request c_request = c_request_of(exchange);
  HandlerResult c_response;
  {
    const HandlerWindow window(exchange, *library);
    c_response = call_handle_request(*library, exchange, c_request);
    exchange.response_ready = std::chrono::steady_clock::now();
  }
  answer_from_c_response(exchange, c_response, response);
}

} // namespace flexilib::targets
