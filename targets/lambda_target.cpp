// Serving a request by invoking a Lambda-profile library.
#include "targets/lambda_target.hpp"

#include "faas/lambda_invocation.hpp"
#include "targets/handler_window.hpp"

namespace flexilib::targets {

void LambdaTarget::serve(Exchange &exchange, server::ResponseMessage &response) const {
  const loader::Library *library = take_library(exchange, response);
  if (library == nullptr) return;
  const httplib::Request &request = exchange.request;
  faas::HttpRequestView view{request.method,  request.target,
                             request.version, exchange.connection.peer_ip,
                             exchange.body,   {},
                             exchange.route};
  for (size_t i = 0; i < exchange.header_count; ++i) {
    const flexilib_header &header = exchange.headers[i];
    view.headers.emplace_back(std::string_view(header.name_ptr, header.name_len),
                              std::string_view(header.value_ptr, header.value_len));
  }
  faas::LambdaOutcome outcome;
  {
    const HandlerWindow window(exchange, *library);
    outcome = faas::invoke_lambda(*library, profile_, view, exchange.cold == 1);
    exchange.response_ready = std::chrono::steady_clock::now();
  }
  if (outcome.invoked) exchange.billed_ms = outcome.billed_ms;
  response.status = outcome.response.status;
  response.set_owned_content_type("application/json");
  for (auto &[name, value] : outcome.response.headers) {
    if (name == "content-type")
      response.set_owned_content_type(std::move(value));
    else
      response.owned_fields.emplace_back(std::move(name), std::move(value));
  }
  response.set_owned_body(std::move(outcome.response.body));
}

} // namespace flexilib::targets
