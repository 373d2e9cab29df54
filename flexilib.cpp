// flexilib: serves HTTP by calling handler libraries routed by proxy.ini.
// main() reads the settings and opens the listening socket (or takes the one systemd
// passed); a supervisor process then runs the server in a child it restarts when a
// library crashes it. The serving process loads the configuration, starts the serving
// threads and waits for signals: SIGHUP reloads the configuration, SIGINT/SIGTERM
// drain requests and stop. Under systemd it reports each step ($NOTIFY_SOCKET).
#include "admin/admin_server.hpp"
#include "faas/lambda_api_server.hpp"
#include "loader/configuration.hpp"
#include "process/crash_page.hpp"
#include "process/open_files.hpp"
#include "process/supervisor.hpp"
#include "server/access_log.hpp"
#include "server/listener.hpp"
#include "server/request_pipeline.hpp"
#include "server/request_reader.hpp"
#include "server/settings.hpp"
#include "server/worker_pool.hpp"
#include "systemd/service_status.hpp"
#include "systemd/socket_activation.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>

// The commit the binary was built from (git_commit.cpp, written by the build).
extern const char flexilib_git_commit[];

namespace {

using namespace flexilib;

#ifdef NDEBUG
constexpr bool debug_build = false;
#else
constexpr bool debug_build = true;
#endif

int run_check(const std::string &config_path) {
  const std::vector<std::string> problems = loader::check_configuration(config_path);
  for (const std::string &problem : problems)
    std::fprintf(stderr, "%s\n", problem.c_str());
  if (!problems.empty()) {
    std::fprintf(stderr, "%s: %zu problem%s\n", config_path.c_str(), problems.size(),
                 problems.size() == 1 ? "" : "s");
    return 1;
  }
  std::fprintf(stderr, "%s: configuration is valid and every library loads\n", config_path.c_str());
  return 0;
}

// Signals are taken synchronously by the main thread (sigwait): no handler runs in
// the middle of a serving thread, so reloading is ordinary code.
sigset_t control_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGHUP, SIGINT, SIGTERM})
    sigaddset(&signals, signal);
  return signals;
}

server::PipelineLimits pipeline_limits(const server::Settings &settings) {
  server::PipelineLimits limits;
  limits.max_head_bytes = settings.max_head_bytes;
  limits.framing = {settings.max_header_count, settings.max_body_bytes};
  limits.keep_alive_seconds = settings.keep_alive_seconds;
  limits.timeouts = {settings.read_timeout_ms, settings.write_timeout_ms};
  limits.client_buffer_bytes = settings.client_buffer_bytes;
  limits.client_spill_bytes = settings.client_spill_bytes;
  return limits;
}

targets::TargetOptions target_options(const server::Settings &settings) {
  return {{settings.upstream_connect_timeout_ms, settings.upstream_read_timeout_ms,
           settings.proxy_buffer_bytes},
          settings.upstream_fail_timeout_s};
}

admin::AdminOptions admin_options(const server::Settings &settings) {
  return {settings.admin_address, settings.admin_port.value_or(0), settings.admin_token};
}

// The Invoke API's threads run invocations as the serving threads run requests (as
// many at once, the same arena size); their requests go to a stats ring of their own
// and to crash-page slots, both numbered after the serving threads'.
faas::LambdaApiOptions lambda_api_options(const server::Settings &settings) {
  return {settings.lambda_api_address,     settings.lambda_api_port.value_or(0),
          settings.thread_count,           settings.preallocation_bytes,
          unsigned(settings.thread_count), unsigned(settings.thread_count)};
}

// Waits for SIGINT/SIGTERM, reloading the configuration on each SIGHUP meanwhile.
// Under systemd, wakes every second to refresh the status line it shows.
int wait_for_stop_signal(const sigset_t &signals, loader::Configuration &configuration,
                         systemd::ServiceStatus &service) {
  for (;;) {
    timespec second{1, 0};
    const int signal = service.enabled() ? sigtimedwait(&signals, nullptr, &second)
                                         : sigwaitinfo(&signals, nullptr);
    if (signal < 0) {
      service.refresh();
      continue;
    }
    if (signal != SIGHUP) return signal;
    server::write_diagnostic("SIGHUP: reloading " + configuration.path());
    service.reloading();
    const loader::ConfigReloadOutcome outcome = configuration.reload();
    service.reloaded(outcome.applied, outcome.rule_count);
  }
}

// Lets requests in flight finish, up to SHUTDOWN_TIMEOUT_MS; a second stop signal, or
// the deadline, ends the process at once. Returns only when every thread is done.
void drain(server::WorkerPool &pool, const sigset_t &signals, int timeout_ms) {
  pool.begin_stop();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // First the requests in flight, then the responses slow clients have yet to read.
  while (!pool.wait_stopped(std::chrono::milliseconds(0)) || !pool.send_remaining_output()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) {
      server::write_diagnostic(
          "requests still running or responses unsent after SHUTDOWN_TIMEOUT_MS (" +
          std::to_string(timeout_ms) + " ms): exiting without them");
      std::_Exit(1);
    }
    // Wake every 10 ms to see whether the threads are done, or at once on a signal.
    timespec wait{0, 10 * 1000 * 1000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) {
      server::write_diagnostic("second stop signal: exiting at once");
      std::_Exit(1);
    }
  }
  pool.stop(); // joins the finished threads and closes idle connections
}

// The serving process: everything but the listening socket, which it is given.
int serve(const server::Settings &settings, const server::Listener &listener,
          process::CrashPage *crash_page, const systemd::ServiceNotifier &notifier) {
  const sigset_t signals = control_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // the serving threads inherit this
  std::signal(SIGPIPE, SIG_IGN);                 // a closed stdout must not kill us

  stats::RequestStats request_stats(settings.thread_count + (settings.lambda_api_port ? 1 : 0),
                                    settings.recent_requests);
  loader::Configuration configuration(settings.config_path, server::write_diagnostic,
                                      &request_stats, target_options(settings));
  const loader::ConfigReloadOutcome loaded = configuration.reload();
  if (!loaded.applied) return 1;

  server::RequestPipeline pipeline(configuration, pipeline_limits(settings), &request_stats,
                                   crash_page);
  server::RequestReader reader(pipeline);
  server::WorkerPool pool(listener.fd(), reader,
                          {settings.thread_count, settings.preallocation_bytes,
                           settings.max_connections, settings.handler_timeout_ms,
                           settings.stand_in_after_ms});
  server::write_diagnostic("serving with " + std::to_string(settings.thread_count) + " threads, " +
                           std::to_string(settings.preallocation_bytes / 1024) + " KiB arena each");

  // The admin endpoint answers on its own thread from here until the stop signal.
  std::optional<admin::AdminServer> admin_server;
  if (settings.admin_port) {
    admin_server.emplace(admin_options(settings),
                         admin::AdminContext{configuration, request_stats, settings.thread_count});
    if (const std::string error = admin_server->start(); !error.empty()) {
      server::write_diagnostic(error);
      return 1;
    }
    server::write_diagnostic("admin listening on " + admin_server->where());
  }

  std::optional<faas::LambdaApiServer> lambda_api;
  if (settings.lambda_api_port) {
    lambda_api.emplace(lambda_api_options(settings), configuration, &request_stats, crash_page);
    if (const std::string error = lambda_api->start(); !error.empty()) {
      server::write_diagnostic(error);
      return 1;
    }
    server::write_diagnostic("lambda api listening on " + lambda_api->where());
  }

  systemd::ServiceStatus service(notifier, request_stats);
  service.ready(loaded.rule_count);
  const int signal = wait_for_stop_signal(signals, configuration, service);
  service.stopping();
  server::write_diagnostic(std::string("stopping on ") + strsignal(signal) +
                           ": finishing requests in flight");
  if (admin_server) admin_server->stop();
  if (lambda_api) lambda_api->stop();
  drain(pool, signals, settings.shutdown_timeout_ms);
  return 0;
}

// Parses proxy.ini before anything starts, so that a broken file is reported once
// at start rather than by every serving process the supervisor would start.
bool config_is_valid(const std::string &path) {
  const loader::Config config = loader::parse_config_file(path);
  for (const loader::ConfigError &error : config.errors)
    server::write_diagnostic(loader::format_config_error(path, error));
  return config.ok();
}

// Raises the open-file limit, and fits MAX_CONNECTIONS under it.
void budget_descriptors(server::Settings &settings) {
  const process::ConnectionBudget budget =
      process::connection_budget(settings.max_connections, process::raise_open_file_limit());
  if (!budget.note.empty()) server::write_diagnostic(budget.note);
  settings.max_connections = budget.max_connections;
}

// The socket systemd passed (socket activation), else one bound to LISTEN_ADDRESS:PORT;
// null, once the reason is logged, when neither can be had.
std::unique_ptr<server::Listener> open_listener(const server::Settings &settings) {
  const systemd::PassedSocket passed = systemd::take_passed_socket();
  if (!passed.error.empty()) {
    server::write_diagnostic(passed.error);
    return nullptr;
  }
  if (passed.fd >= 0)
    server::write_diagnostic("using the listening socket systemd passed (LISTEN_FDS), not PORT");
  auto listener = passed.fd >= 0
                      ? std::make_unique<server::Listener>(passed.fd)
                      : std::make_unique<server::Listener>(settings.listen_address, settings.port);
  if (listener->fd() >= 0) return listener;
  server::write_diagnostic(listener->error());
  return nullptr;
}

int run_server(server::Settings settings) {
  if (!config_is_valid(settings.config_path)) return 1;
  budget_descriptors(settings);
  if (const std::string refusal =
          settings.admin_port ? admin::refusal_at_start(admin_options(settings)) : "";
      !refusal.empty()) {
    server::write_diagnostic(refusal);
    return 1;
  }
  if (const std::string refusal =
          settings.lambda_api_port ? faas::lambda_api_refusal_at_start(lambda_api_options(settings))
                                   : "";
      !refusal.empty()) {
    server::write_diagnostic(refusal);
    return 1;
  }
  std::string notify_error;
  const systemd::ServiceNotifier notifier =
      systemd::ServiceNotifier::from_environment(notify_error);
  if (!notify_error.empty()) server::write_diagnostic(notify_error);
  const std::unique_ptr<server::Listener> listener = open_listener(settings);
  if (!listener) return 1;
  const std::string where = listener->address().find(':') == std::string::npos
                                ? listener->address()
                                : "[" + listener->address() + "]";
  server::write_diagnostic("listening on " + where + ":" + std::to_string(listener->port()));
  if (!settings.supervise) return serve(settings, *listener, nullptr, notifier);

  process::CrashPage *page = process::CrashPage::create();
  if (page == nullptr) {
    server::write_diagnostic("cannot map the crash page: running without a supervisor");
    return serve(settings, *listener, nullptr, notifier);
  }
  return process::supervise([&] { return serve(settings, *listener, page, notifier); }, *page);
}

} // namespace

int main(int argc, char **argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const server::SettingsResult parsed =
      server::parse_settings(args, ::getenv, std::thread::hardware_concurrency(), debug_build);
  for (const std::string &error : parsed.errors)
    server::write_diagnostic(error);
  if (!parsed.errors.empty()) return 2;

  const server::Settings &settings = parsed.settings;
  switch (settings.mode) {
  case server::Settings::Mode::help:
    std::fputs(server::usage_text().c_str(), stdout);
    return 0;
  case server::Settings::Mode::version:
    std::printf("flexilib %s (commit %s, handler ABI version %d, cpp-httplib %s)\n",
                FLEXILIB_VERSION, flexilib_git_commit, FLEXILIB_ABI_VERSION, CPPHTTPLIB_VERSION);
    return 0;
  case server::Settings::Mode::check:
    return run_check(settings.config_path);
  case server::Settings::Mode::serve:
    break;
  }
  return run_server(settings);
}
