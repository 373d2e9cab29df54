// The exception handler every cpp-httplib server of ours is given.
#include "server/escaped_exception.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "loader/entry_point_call.hpp"

namespace flexilib::server {

namespace {
void log_escaped(std::string_view listener, const httplib::Request &request,
                 std::exception_ptr escaped) {
  diagnostics::write_diagnostic(std::string(listener) + ": exception while answering " +
                                request.method + " " + request.target + ": " +
                                loader::describe_exception(escaped) + "; answered 500");
}
} // namespace

void answer_escaped_exception(std::string_view listener, const httplib::Request &request,
                              ResponseMessage &response, std::exception_ptr escaped) {
  log_escaped(listener, request, escaped);
  response.clear();
  response.status = 500;
  response.body = "500 Internal Server Error\n";
}

void answer_escaped_exception(std::string_view listener, const httplib::Request &request,
                              httplib::Response &response, std::exception_ptr escaped) {
  log_escaped(listener, request, escaped);
  response = httplib::Response();
  response.status = 500;
  response.set_content("500 Internal Server Error\n", "text/plain");
}

} // namespace flexilib::server
