// Unit tests of the one way the housekeeper reaches a running handler's connection
// (ServingThread::take_over_if_overdue). Run under ThreadSanitizer, the race test
// fails on any access to a connection its serving thread has already freed.
#include "server/serving_thread.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <memory>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace flexilib::server;
using flexilib::Clock;

namespace {

std::unique_ptr<Connection> new_connection() {
  const int unconnected = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return std::make_unique<Connection>(unconnected, "127.0.0.1", 1, "127.0.0.1", 2);
}

Clock::rep now() {
  return flexilib::now_ticks();
}

} // namespace

TEST_CASE("a handler past its limit is taken over once, with its connection", "[pool]") {
  ServingThread thread(0, 1024);
  auto connection = new_connection();
  Connection *seen = nullptr;
  const auto answer = [&](Connection &overdue) { seen = &overdue; };

  CHECK(thread.take_over_if_overdue(now(), 0, answer).empty()); // no handler runs
  thread.enter_handler(*connection, {"GET", "/x", "/", "lib.so", 2});
  CHECK(thread.take_over_if_overdue(now(), Clock::rep(1) << 60, answer).empty()); // not yet
  CHECK(seen == nullptr);
  CHECK(thread.take_over_if_overdue(now() + 1000, 0, answer) ==
        "GET /x (route /, library lib.so generation 2)");
  CHECK(seen == connection.get());
  CHECK(thread.replaced);
  seen = nullptr;
  CHECK(thread.take_over_if_overdue(now() + 1000, 0, answer).empty()); // once only
  CHECK(seen == nullptr);
  thread.leave_handler();
}

TEST_CASE("a handler returning just as it is taken over: the connection outlives the answer",
          "[pool][race]") {
  // The serving thread runs handlers that end at once and frees each connection as
  // soon as it has left the handler window (as closing it does); the housekeeper
  // meanwhile takes over every handler it finds running and writes to its connection.
  ServingThread thread(0, 1024);
  std::atomic<bool> done{false};
  std::atomic<int> taken_over{0};
  std::thread housekeeper([&] {
    while (!done) {
      // Any handler running counts as overdue, however recently it started.
      const Clock::rep any = std::numeric_limits<Clock::rep>::min();
      const std::string running = thread.take_over_if_overdue(now(), any, [&](Connection &overdue) {
        // What the housekeeper does: system calls on the socket, which take long enough
        // for a thread that could leave the window to free the connection meanwhile.
        [[maybe_unused]] ssize_t sent =
            ::send(overdue.fd, "HTTP/1.1 504", 12, MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(overdue.fd, SHUT_RDWR);
        std::this_thread::yield();              // as if preempted here, as any thread may be
        overdue.pending.assign("HTTP/1.1 504"); // a write a freed connection would not survive
      });
      if (!running.empty()) ++taken_over;
    }
  });
  // Until enough take-overs have raced with a return (a few seconds at most).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  int handled = 0;
  for (; taken_over < 2000 && std::chrono::steady_clock::now() < until; ++handled) {
    auto connection = new_connection();
    thread.enter_handler(*connection, {"GET", "/x", "/", "lib.so", 1});
    std::this_thread::yield(); // the handler, as short as they come
    thread.leave_handler();
    if (thread.replaced) {
      CHECK(connection->pending == "HTTP/1.1 504"); // answered before it left, not after
      thread.replaced = false; // a new serving thread, as far as this test cares
    }
    connection.reset();
  }
  done = true;
  housekeeper.join();
  INFO(handled << " handlers, " << taken_over << " taken over");
  CHECK(taken_over > 0);
}
