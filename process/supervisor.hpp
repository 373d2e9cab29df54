// The process the user starts: it keeps the listening socket and runs the server in a
// child process, starting a new one whenever it dies. Libraries run inside the serving
// process and a crashing library takes it down; the supervisor logs what was running
// (from the crash page), starts the next child at once (backing off if it keeps
// crashing), and forwards SIGHUP, SIGINT and SIGTERM. Because the listening socket
// stays open here, connections made while no child runs wait in the backlog instead
// of being refused.
#pragma once

#include "process/crash_page.hpp"

#include <functional>

namespace flexilib::process {

struct SupervisorOptions {
  int quick_death_ms = 1000;           // a child that dies sooner than this "died quickly"
  int quick_deaths_before_backoff = 5; // in a row; until then restarts are immediate
  int first_backoff_ms = 50;           // then doubling up to max_backoff_ms
  int max_backoff_ms = 5000;
};

// Runs `serve` in child processes until SIGINT/SIGTERM; returns the exit code. `serve`
// runs in the child and returns the child's exit code.
int supervise(const std::function<int()> &serve, CrashPage &page, SupervisorOptions options = {});

} // namespace flexilib::process
