// What a serving thread shows the housekeeper about the handler it runs, and the
// one way the housekeeper may act on it.
#include "server/serving_thread.hpp"

namespace flexilib::server {

void ServingThread::enter_handler(Connection &connection, const HandlerRun &run) {
  std::lock_guard lock(run_mutex_);
  run_ = run;
  connection_ = &connection;
  started_ = now_ticks();
  handler_since_.store(started_, std::memory_order_relaxed);
}

void ServingThread::leave_handler() {
  std::lock_guard lock(run_mutex_);
  run_ = {};
  connection_ = nullptr;
  started_ = 0;
  handler_since_.store(0, std::memory_order_relaxed);
}

std::string ServingThread::take_over_if_overdue(Clock::rep now, Clock::rep limit,
                                                const std::function<void(Connection &)> &answer) {
  std::lock_guard lock(run_mutex_);
  if (connection_ == nullptr || replaced || now - started_ <= limit) return {};
  answer(*connection_);
  replaced = true;
  return description();
}

bool ServingThread::hand_off_if_slower_than(Clock::rep now, Clock::rep limit) {
  const Clock::rep since = handler_since_.load(std::memory_order_relaxed);
  if (since == 0 || now - since <= limit) return false; // the common case, without the lock
  std::lock_guard lock(run_mutex_);
  if (connection_ == nullptr || replaced || handed_off || now - started_ <= limit) return false;
  handed_off = true;
  return true;
}

std::string ServingThread::description() const {
  return std::string(run_.method) + " " + std::string(run_.target) + " (route " +
         std::string(run_.route) + ", library " + std::string(run_.library) + " generation " +
         std::to_string(run_.generation) + ")";
}

} // namespace flexilib::server
