// The AWS Lambda Invoke API on its own port (LAMBDA_API_PORT), as AWS's Runtime
// Interface Emulator and SAM's start-lambda serve it: `aws lambda invoke`, boto3 and
// every other SDK client call `POST /2015-03-31/functions/{FunctionName}/invocations`
// with a raw event and get the function's raw result. Each `lambda:` route is one
// function, named as its context's function_name. An invocation runs the route's
// library like a request on the traffic port does (faas::LambdaInvocation: the same
// context, timeout and REPORT lines) and is counted in the same figures.
#pragma once

#include "loader/configuration.hpp"
#include "process/crash_page.hpp"
#include "server/side_listener.hpp"
#include "stats/request_stats.hpp"

#include <atomic>
#include <httplib.h>
#include <string>

namespace flexilib::faas {

struct LambdaApiOptions {
  std::string address = "127.0.0.1"; // numeric IPv4 or IPv6
  int port = 3001;                   // 0 picks a free port
  size_t threads = 2;                // invocations that can run at once
  size_t arena_bytes = 8 * 1024;     // each thread's request arena (flexilib_alloc)
  // Where its requests go in the figures and on the crash page: the stats ring of
  // `stats_thread`, crash-page slots from `first_crash_slot` (after the serving threads;
  // a serving thread started to replace a stuck one may share a slot, as any thread
  // past CrashPage::max_threads does).
  unsigned stats_thread = 0;
  unsigned first_crash_slot = 0;
};

// Why the Invoke API cannot start (empty when it can): its port is taken. Checked
// before the supervisor starts serving processes, as the admin endpoint's is.
std::string lambda_api_refusal_at_start(const LambdaApiOptions &options);

class LambdaApiServer {
public:
  // `stats` and `crash_page` may be null.
  LambdaApiServer(LambdaApiOptions options, loader::Configuration &configuration,
                  stats::RequestStats *stats, process::CrashPage *crash_page);
  LambdaApiServer(const LambdaApiServer &) = delete;
  LambdaApiServer &operator=(const LambdaApiServer &) = delete;

  // Binds and starts answering on its own threads; an error message when it cannot.
  // Call it with the control signals blocked: its threads inherit the mask.
  std::string start();
  // Stops accepting, finishes the invocations in progress and joins the threads.
  void stop();
  // "127.0.0.1:3001", once started.
  std::string where() const;

  struct Exchange; // what one request carries from the handler to after its response

private:
  void install_handlers();
  void answer(const httplib::Request &request, httplib::Response &response);
  void invoke(Exchange &exchange, const std::string &target, const std::string &event,
              bool keep_log);
  void after_response(const httplib::Request &request, const httplib::Response &response);
  unsigned crash_slot();

  const LambdaApiOptions options_;
  loader::Configuration &configuration_;
  stats::RequestStats *const stats_;
  process::CrashPage *const crash_page_;
  std::atomic<unsigned> threads_seen_{0};
  server::SideListener listener_;
};

} // namespace flexilib::faas
