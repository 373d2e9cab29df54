// The Invoke API's listener: which function a request names, running it, the answer
// in AWS's shape, and the figures and log line every request leaves.
#include "faas/lambda_api_server.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "faas/invoke_api.hpp"
#include "faas/lambda_invocation.hpp"
#include "faas/lambda_report.hpp"
#include "server/access_log.hpp"
#include "server/arena.hpp"
#include "targets/lambda_target.hpp"

#include <chrono>
#include <cstring>
#include <memory>

namespace flexilib::faas {

using Clock = std::chrono::steady_clock;

struct LambdaApiServer::Exchange {
  Clock::time_point start{}, response_ready{};
  std::chrono::system_clock::time_point wall_start{};
  std::shared_ptr<const loader::RouteTable> table{};
  int rule = -1;                              // the function's route, -1: none
  std::shared_ptr<loader::Library> library{}; // the generation that ran, if one did
  int cold = -1;
  int64_t billed_ms = -1;
  bool run_after_response = false; // an Event invocation, run once 202 has gone out
  size_t prealloc_bytes = 0, alloc_bytes = 0;
  // What the function gave: its result or an error object, and its log lines.
  std::string request_id, payload, log;
  bool function_error = false;
};

namespace {

// One request at a time per thread: cpp-httplib runs a request's handler and its
// logger (after the response is written) on the same thread, and has no other place
// to carry state from one to the other.
thread_local LambdaApiServer::Exchange current;

std::string cannot_listen(const LambdaApiOptions &options, int error) {
  return "lambda api: cannot listen on " + server::address_and_port(options.address, options.port) +
         " (" + std::strerror(error) + "); LAMBDA_API_PORT sets another port, off disables it";
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

void send_service_error(httplib::Response &response, const ServiceError &error) {
  response.status = error.status;
  response.set_header("x-amzn-ErrorType", error.type);
  response.set_header("x-amzn-RequestId", random_request_id());
  response.set_content(service_error_body(error), "application/json");
}

ServiceError invalid_value(std::string_view value, std::string_view field,
                           std::string_view constraint) {
  return {400, "ValidationException",
          "1 validation error detected: Value '" + std::string(value) + "' at '" +
              std::string(field) + "' failed to satisfy constraint: " + std::string(constraint)};
}

// A route's target as a Lambda function; null for the other kinds.
const targets::LambdaTarget *as_function(const loader::Route &route) {
  return dynamic_cast<const targets::LambdaTarget *>(route.target.get());
}

// The first lambda: route whose library gives that function name, -1 when none does.
int find_function(const loader::RouteTable &table, std::string_view name) {
  for (size_t at = 0; at < table.routes.size(); ++at)
    if (as_function(table.routes[at]) &&
        lambda_function_name(table.routes[at].target->name()) == name)
      return int(at);
  return -1;
}

// While a handler runs on an Invoke API thread: its arena serves flexilib_alloc, and
// the crash page names the invocation should the handler crash the process.
class HandlerScope {
public:
  HandlerScope(server::Arena &arena, process::CrashPage *crash_page, unsigned slot,
               std::string_view target, std::string_view route, const loader::Library &library)
      : crash_page_(crash_page), slot_(slot) {
    server::Arena::set_current(&arena);
    if (crash_page_)
      crash_page_->enter(slot_, "POST", target, route, library.path(), library.generation());
  }
  ~HandlerScope() {
    if (crash_page_) crash_page_->leave(slot_);
    server::Arena::set_current(nullptr);
  }
  HandlerScope(const HandlerScope &) = delete;
  HandlerScope &operator=(const HandlerScope &) = delete;

private:
  process::CrashPage *const crash_page_;
  const unsigned slot_;
};

} // namespace

std::string lambda_api_refusal_at_start(const LambdaApiOptions &options) {
  if (options.port == 0) return {};
  const int error = server::bind_error(options.address, options.port);
  return error == 0 ? std::string() : cannot_listen(options, error);
}

LambdaApiServer::LambdaApiServer(LambdaApiOptions options, loader::Configuration &configuration,
                                 stats::RequestStats *stats, process::CrashPage *crash_page)
    : options_(std::move(options)), configuration_(configuration), stats_(stats),
      crash_page_(crash_page), listener_("flexilib-lambda", options_.threads) {}

void LambdaApiServer::install_handlers() {
  httplib::Server &server = listener_.server();
  // Runs for every request cpp-httplib routes, before it reads a body: the clock
  // starts here. A request without a body is answered at once (cpp-httplib 0.11
  // would refuse a POST without Content-Length); one with a body once it is read.
  server.set_pre_routing_handler(
      [this](const httplib::Request &request, httplib::Response &response) {
        current = Exchange{};
        current.start = Clock::now();
        current.wall_start = std::chrono::system_clock::now();
        if (request.has_header("Content-Length") || request.has_header("Transfer-Encoding"))
          return httplib::Server::HandlerResponse::Unhandled;
        answer(request, response);
        return httplib::Server::HandlerResponse::Handled;
      });
  server.Post(".*", [this](const httplib::Request &request, httplib::Response &response) {
    answer(request, response);
  });
  // cpp-httplib's own answers (413 for a body over Lambda's limit, 400, 500), in AWS's shape.
  const httplib::Server::HandlerWithResponse aws_error = [](const httplib::Request &,
                                                            httplib::Response &response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (response.status == 413)
      send_service_error(response,
                         {413, "RequestEntityTooLargeException",
                          "Request must be smaller than " + std::to_string(lambda_payload_limit) +
                              " bytes for the InvokeFunction operation"});
    else if (response.status >= 500) // an exception escaped the handler
      send_service_error(
          response, {response.status, "ServiceException",
                     "the server failed to answer (HTTP " + std::to_string(response.status) + ")"});
    else
      send_service_error(response, {response.status, "InvalidRequestContentException",
                                    "the request could not be read (HTTP " +
                                        std::to_string(response.status) + ")"});
    return httplib::Server::HandlerResponse::Handled;
  };
  server.set_error_handler(aws_error);
  server.set_logger([this](const httplib::Request &request, const httplib::Response &response) {
    after_response(request, response);
  });
}

std::string LambdaApiServer::start() {
  install_handlers();
  httplib::Server &server = listener_.server();
  // One request a connection: an SDK's idle pooled connection cannot hold a thread
  // for the keep-alive time while another client's invocation waits.
  server.set_keep_alive_max_count(1);
  server.set_payload_max_length(lambda_payload_limit);
  if (const int error = listener_.start(options_.address, options_.port); error != 0)
    return cannot_listen(options_, error);
  return {};
}

void LambdaApiServer::stop() {
  listener_.stop();
}

std::string LambdaApiServer::where() const {
  return server::address_and_port(options_.address,
                                  listener_.port() < 0 ? options_.port : listener_.port());
}

unsigned LambdaApiServer::crash_slot() {
  // cpp-httplib's pool threads live as long as the listener: each takes a slot once.
  thread_local const unsigned slot = options_.first_crash_slot + threads_seen_++;
  return slot;
}

void LambdaApiServer::answer(const httplib::Request &request, httplib::Response &response) {
  Exchange &exchange = current;
  const std::optional<std::string_view> function_text = invocation_path_function(request.path);
  if (request.method != "POST" || !function_text)
    return send_service_error(response,
                              {404, "UnknownOperationException",
                               "Unknown operation: only POST /2015-03-31/functions/{FunctionName}/"
                               "invocations (Invoke) is served here"});
  const std::string type_header = request.get_header_value("X-Amz-Invocation-Type");
  const std::optional<InvocationType> type = parse_invocation_type(type_header);
  if (!type)
    return send_service_error(response, invalid_value(type_header, "invocationType",
                                                      "Member must satisfy enum value set: "
                                                      "[Event, RequestResponse, DryRun]"));
  const std::string log_type = request.get_header_value("X-Amz-Log-Type");
  if (!log_type.empty() && log_type != "None" && log_type != "Tail")
    return send_service_error(
        response,
        invalid_value(log_type, "logType", "Member must satisfy enum value set: [None, Tail]"));
  std::optional<FunctionReference> function = parse_function_reference(*function_text);
  if (!function)
    return send_service_error(response,
                              invalid_value(*function_text, "functionName",
                                            "Member must be a function name, a partial ARN "
                                            "or an ARN, with an optional qualifier"));
  if (function->qualifier.empty()) function->qualifier = request.get_param_value("Qualifier");

  exchange.table = configuration_.current();
  exchange.rule = exchange.table ? find_function(*exchange.table, function->name) : -1;
  // Every function here is $LATEST: no published version or alias exists.
  if (exchange.rule < 0 || (!function->qualifier.empty() && function->qualifier != "$LATEST"))
    return send_service_error(
        response,
        {404, "ResourceNotFoundException",
         "Function not found: " +
             function_arn(signing_region(request.get_header_value("Authorization")), *function)});

  if (*type == InvocationType::dry_run) {
    response.status = 204;
    response.set_header("x-amzn-RequestId", random_request_id());
  } else if (*type == InvocationType::event) {
    exchange.run_after_response = true;
    response.status = 202;
    response.set_header("x-amzn-RequestId", random_request_id());
  } else {
    invoke(exchange, request.target, request.body, log_type == "Tail");
    response.status = 200;
    // A function that could not run has no invocation id: the request still gets one.
    response.set_header("x-amzn-RequestId",
                        exchange.request_id.empty() ? random_request_id() : exchange.request_id);
    response.set_header("X-Amz-Executed-Version", "$LATEST");
    if (exchange.function_error) response.set_header("X-Amz-Function-Error", "Unhandled");
    if (log_type == "Tail") response.set_header("X-Amz-Log-Result", log_tail(exchange.log));
    response.set_content(std::move(exchange.payload), "application/json");
  }
  exchange.response_ready = Clock::now();
}

void LambdaApiServer::invoke(Exchange &exchange, const std::string &target,
                             const std::string &event, bool keep_log) {
  const loader::Route &route = exchange.table->routes[size_t(exchange.rule)];
  const targets::LambdaTarget &function = *as_function(route);
  std::string error;
  exchange.library = function.library_slot()->acquire(error);
  if (!exchange.library) {
    exchange.function_error = true;
    exchange.payload = function_error_payload("Runtime.ImportModuleError", error);
    return;
  }
  const loader::Library &library = *exchange.library;
  exchange.cold = exchange.library->take_cold_start() ? 1 : 0;
  if (!library.lambda_handler()) {
    diagnostics::write_diagnostic(library.path() +
                                  ": does not export lambda_handler, which its lambda route needs");
    exchange.function_error = true;
    exchange.payload = function_error_payload("Runtime.HandlerNotFound",
                                              library.path() + " does not export lambda_handler");
    return;
  }

  thread_local std::unique_ptr<server::Arena> arena;
  if (!arena) arena = std::make_unique<server::Arena>(options_.arena_bytes);
  {
    const HandlerScope scope(*arena, crash_page_, crash_slot(), target, route.name, library);
    LambdaInvocation invocation(library, function.settings(), exchange.cold == 1, keep_log);
    const HandlerCall call = invocation.call(event, {route.name, "POST", target});
    exchange.request_id = invocation.request_id();
    exchange.billed_ms = invocation.billed_ms();
    exchange.function_error = call.verdict != HandlerCall::Verdict::result;
    switch (call.verdict) {
    case HandlerCall::Verdict::result:
      exchange.payload.assign(call.result); // copied out before the arena resets
      break;
    case HandlerCall::Verdict::threw:
      exchange.payload =
          function_error_payload("Runtime.HandlerThrewException",
                                 "lambda_handler threw an exception (an unhandled error)");
      break;
    case HandlerCall::Verdict::no_result:
      exchange.payload = function_error_payload(
          "Runtime.HandlerReturnedNull", "lambda_handler returned NULL (an unhandled error)");
      break;
    case HandlerCall::Verdict::result_too_large:
      exchange.payload =
          function_error_payload("Function.ResponseSizeTooLarge",
                                 "Response payload size (" + std::to_string(call.result.size()) +
                                     " bytes) exceeded maximum allowed payload size (" +
                                     std::to_string(lambda_payload_limit) + " bytes).");
      break;
    case HandlerCall::Verdict::timed_out:
      exchange.payload = function_error_payload("Sandbox.Timedout", call.error_line);
      break;
    }
    invocation.finish();
    exchange.log = invocation.log_text();
  }
  exchange.prealloc_bytes = arena->capacity();
  exchange.alloc_bytes = arena->allocated();
  arena->reset();
  library.request_deinit();
}

// cpp-httplib calls this once the response is written: an Event invocation runs now,
// its client already answered; then the request's log line and figures.
void LambdaApiServer::after_response(const httplib::Request &request,
                                     const httplib::Response &response) {
  Exchange &exchange = current;
  const Clock::time_point end = Clock::now();
  if (exchange.start == Clock::time_point{}) exchange.start = exchange.response_ready = end;
  if (exchange.response_ready == Clock::time_point{}) exchange.response_ready = end;
  if (exchange.run_after_response) invoke(exchange, request.target, request.body, false);

  const std::string client = request.remote_addr + ":" + std::to_string(request.remote_port);
  const std::string request_line = request.method + " " + request.target + " " + request.version;
  const double ttfb_ms = ms_between(exchange.start, exchange.response_ready);
  const double ttlb_ms = ms_between(exchange.start, end);
  server::write_access_log({client, request_line, response.status, ttfb_ms, response.body.size(),
                            ttlb_ms, exchange.prealloc_bytes, exchange.alloc_bytes});
  if (stats_ != nullptr) {
    stats::RequestSample sample;
    sample.time = exchange.wall_start;
    sample.client = client;
    sample.method = request.method;
    sample.target = request.target;
    sample.status = response.status;
    sample.body_bytes = response.body.size();
    sample.ttfb_ms = ttfb_ms;
    sample.ttlb_ms = ttlb_ms;
    sample.prealloc_bytes = exchange.prealloc_bytes;
    sample.alloc_bytes = exchange.alloc_bytes;
    sample.thread = options_.stats_thread;
    stats::Totals *route = nullptr, *library = nullptr;
    if (exchange.rule >= 0) {
      const loader::Route &served = exchange.table->routes[size_t(exchange.rule)];
      sample.route = served.name;
      sample.library = served.target->name();
      route = served.totals.get();
      library = served.target_totals.get();
    }
    if (exchange.library) {
      sample.generation = exchange.library->generation();
      sample.profile = provider_name(Provider::lambda);
    }
    sample.cold = exchange.cold;
    sample.billed_ms = exchange.billed_ms;
    stats_->record(sample, route, library);
  }
  current = Exchange{}; // nothing of it outlives the request, the library generation least
}

} // namespace flexilib::faas
