// fork, watch, log, restart, forward signals.
#include "process/supervisor.hpp"

#include "diagnostics/diagnostic_log.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace flexilib::process {

namespace {

using Clock = std::chrono::steady_clock;
using diagnostics::write_diagnostic;

sigset_t supervised_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGCHLD, SIGHUP, SIGINT, SIGTERM})
    sigaddset(&signals, signal);
  return signals;
}

pid_t start_child(const std::function<int()> &serve, CrashPage &page, pid_t supervisor) {
  page.clear();
  const pid_t child = ::fork();
  if (child != 0) return child; // the supervisor, or -1
  // The serving process: it must not outlive a supervisor killed with SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != supervisor) ::_exit(1);
  page.catch_fatal_signals();
  ::_exit(serve());
}

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status))
    return std::string("died of signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

int supervise(const std::function<int()> &serve, CrashPage &page, SupervisorOptions options) {
  const sigset_t signals = supervised_signals();
  ::sigprocmask(SIG_BLOCK, &signals, nullptr);
  const pid_t self = ::getpid();

  pid_t child = start_child(serve, page, self);
  Clock::time_point started = Clock::now();
  int backoff_ms = 0;
  int quick_deaths = 0;
  bool stopping = false;
  write_diagnostic("supervisor " + std::to_string(self) + ": serving process " +
                   std::to_string(child));

  for (;;) {
    siginfo_t info{};
    // While backing off there is no child: wake up when it is time for the next one.
    timespec wait{backoff_ms / 1000, long(backoff_ms % 1000) * 1000000L};
    const int signal =
        child > 0 ? ::sigwaitinfo(&signals, &info) : ::sigtimedwait(&signals, &info, &wait);
    if (signal < 0 && errno == EAGAIN && child <= 0) { // backoff over
      child = start_child(serve, page, self);
      started = Clock::now();
      write_diagnostic("serving process " + std::to_string(child) + " started");
      continue;
    }
    if (signal == SIGHUP) {
      if (child > 0) ::kill(child, SIGHUP);
    } else if (signal == SIGINT || signal == SIGTERM) {
      if (child <= 0) return 0;
      // A second stop signal ends the serving process at once.
      ::kill(child, stopping ? SIGKILL : signal);
      stopping = true;
    } else if (signal == SIGCHLD) {
      int status = 0;
      if (child <= 0 || ::waitpid(child, &status, WNOHANG) != child) continue;
      child = -1;
      if (stopping) return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      const auto lived_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
      write_diagnostic("serving process " + how_it_ended(status) + " after " +
                       std::to_string(lived_ms) + " ms; " + page.describe());
      // A crash now and then is restarted at once; a crash loop is slowed down.
      quick_deaths = lived_ms < options.quick_death_ms ? quick_deaths + 1 : 0;
      backoff_ms =
          quick_deaths < options.quick_deaths_before_backoff
              ? 0
              : std::clamp(backoff_ms * 2, options.first_backoff_ms, options.max_backoff_ms);
      if (backoff_ms > 0) {
        write_diagnostic("it keeps dying: next start in " + std::to_string(backoff_ms) + " ms");
        continue;
      }
      child = start_child(serve, page, self);
      started = Clock::now();
      write_diagnostic("serving process " + std::to_string(child) + " started");
    }
  }
}

} // namespace flexilib::process
