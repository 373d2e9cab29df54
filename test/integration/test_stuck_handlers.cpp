// A stress test of the handler deadline: handlers that finish right around
// HANDLER_TIMEOUT_MS, so that the housekeeper's 504 and the handler's own return race.
// Each request must get exactly one answer, and a 504 only when its handler ran past
// the deadline. Under ThreadSanitizer the server must report no race.
#include "test/integration/server_process.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <thread>

using namespace flexilib::test;

TEST_CASE("handlers finishing right at HANDLER_TIMEOUT_MS get one answer each",
          "[pool][race][slow]") {
  constexpr int timeout_ms = 200;
  TempDir dir;
  auto server = start_server(
      dir, "/ = " + test_library("sleeps") + "\n",
      {{"HANDLER_TIMEOUT_MS", std::to_string(timeout_ms)}, {"SERVER_THREAD_COUNT", "4"}});
  std::atomic<int> answered{0}, timed_out{0}, wrong{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&, c] {
      std::mt19937 random{unsigned(c)};
      // Half far below the deadline (these must never get 504: a 504 meant for another
      // request would show here), half spread over the housekeeper's 250 ms period past
      // it, so that some return just as it looks.
      std::uniform_int_distribution<int> below(0, 2000);
      std::uniform_int_distribution<int> past(timeout_ms * 1000, timeout_ms * 1000 + 260000);
      auto client = client_for(*server);
      for (int i = 0; i < 30; ++i) {
        const bool short_one = i % 2 == 0;
        const int sleep_us = short_one ? below(random) : past(random);
        auto response = client.Get("/", {{"x-sleep-us", std::to_string(sleep_us)}});
        if (!response) {
          ++wrong;
          continue;
        }
        ++answered;
        if (response->status == 504) ++timed_out;
        const bool right = response->status == 200   ? response->body == "ok"
                           : response->status == 504 ? !short_one
                                                     : false;
        if (!right) ++wrong;
      }
    });
  for (std::thread &client : clients)
    client.join();
  INFO(server->stderr_text());
  CHECK(answered == 240);
  CHECK(wrong == 0);
  CHECK(timed_out > 0);
  auto after = client_for(*server).Get("/");
  REQUIRE(after);
  CHECK(after->status == 200);
}
