// What a serving thread shows the housekeeper about the handler it runs.
#include "server/serving_thread.hpp"

namespace flexilib::server {

void ServingThread::enter_handler(Connection &connection, const HandlerRun &run) {
  {
    std::lock_guard lock(run_mutex_);
    run_ = run;
  }
  handler_connection = &connection;
  handler_started = now_ticks();
}

void ServingThread::leave_handler() {
  handler_started = 0;
  handler_connection = nullptr;
  std::lock_guard lock(run_mutex_);
  run_ = {};
}

std::string ServingThread::handler_description() const {
  std::lock_guard lock(run_mutex_);
  if (run_.method.empty()) return {};
  return std::string(run_.method) + " " + std::string(run_.target) + " (route " +
         std::string(run_.route) + ", library " + std::string(run_.library) + " generation " +
         std::to_string(run_.generation) + ")";
}

} // namespace flexilib::server
