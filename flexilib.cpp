// flexilib: serves HTTP by calling handler libraries routed by proxy.ini.
// main() reads the settings, loads the configuration, starts the serving threads and
// then waits for signals: SIGHUP reloads the configuration, SIGINT/SIGTERM stop.
#include "loader/configuration.hpp"
#include "server/access_log.hpp"
#include "server/listener.hpp"
#include "server/request_pipeline.hpp"
#include "server/settings.hpp"
#include "server/worker_pool.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

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
  return limits;
}

int serve(const server::Settings &settings) {
  stats::RequestStats request_stats(settings.thread_count, settings.recent_requests);
  loader::Configuration configuration(settings.config_path, server::write_diagnostic,
                                      &request_stats);
  if (!configuration.reload().applied) return 1;

  server::Listener listener(settings.listen_address, settings.port);
  if (listener.fd() < 0) {
    server::write_diagnostic(listener.error());
    return 1;
  }
  const sigset_t signals = control_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr); // the serving threads inherit this
  std::signal(SIGPIPE, SIG_IGN);                 // a closed stdout must not kill us

  server::RequestPipeline pipeline(configuration, pipeline_limits(settings), &request_stats);
  server::WorkerPool pool(listener.fd(), pipeline, settings.thread_count,
                          settings.preallocation_bytes, settings.max_connections);
  server::write_diagnostic(std::to_string(settings.thread_count) + " serving threads, " +
                           std::to_string(settings.preallocation_bytes / 1024) +
                           " KiB arena each, config " + settings.config_path);
  const std::string where = listener.address().find(':') == std::string::npos
                                ? listener.address()
                                : "[" + listener.address() + "]";
  server::write_diagnostic("listening on " + where + ":" + std::to_string(listener.port()));

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      server::write_diagnostic("SIGHUP: reloading " + settings.config_path);
      configuration.reload();
      continue;
    }
    server::write_diagnostic(std::string("stopping on ") + strsignal(signal));
    break;
  }
  pool.stop();
  return 0;
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
    std::printf("flexilib %s (handler ABI version %d)\n", FLEXILIB_VERSION, FLEXILIB_ABI_VERSION);
    return 0;
  case server::Settings::Mode::check:
    return run_check(settings.config_path);
  case server::Settings::Mode::serve:
    break;
  }
  return serve(settings);
}
