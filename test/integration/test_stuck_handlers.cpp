// A stress test of the handler deadline: handlers that finish right around
// HANDLER_TIMEOUT_MS, so that the housekeeper's 504 and the handler's own return race.
// Each request must get exactly one answer, and a 504 only when its handler ran past
// the deadline. Under ThreadSanitizer the server must report no race.
#include "test/integration/server_process.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <random>
#include <thread>

using namespace flexilib::test;

TEST_CASE("handlers finishing right at HANDLER_TIMEOUT_MS get one answer each",
          "[pool][race][slow]") {
  // Far above any scheduling delay on a loaded machine, for the short handlers' sake.
  constexpr int timeout_ms = 500;
  TempDir dir;
  auto server = start_server(
      dir, "/ = " + test_library("sleeps") + "\n",
      {{"HANDLER_TIMEOUT_MS", std::to_string(timeout_ms)}, {"SERVER_THREAD_COUNT", "4"}});
  std::atomic<int> answered{0}, timed_out{0};
  std::mutex wrong_mutex;
  std::vector<std::string> wrong; // what went wrong, for the failure message
  const auto record_wrong = [&](std::string what) {
    std::lock_guard lock(wrong_mutex);
    wrong.push_back(std::move(what));
  };
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
      for (int i = 0; i < 12; ++i) {
        const bool short_one = i % 2 == 0;
        const int sleep_us = short_one ? below(random) : past(random);
        auto response = client.Get("/", {{"x-sleep-us", std::to_string(sleep_us)}});
        if (!response) {
          record_wrong("no response (" + httplib::to_string(response.error()) + ") after " +
                       std::to_string(sleep_us) + " us");
          continue;
        }
        ++answered;
        if (response->status == 504) ++timed_out;
        const bool right = response->status == 200   ? response->body == "ok"
                           : response->status == 504 ? !short_one
                                                     : false;
        if (!right)
          record_wrong(std::to_string(response->status) + " after " + std::to_string(sleep_us) +
                       " us");
      }
    });
  for (std::thread &client : clients)
    client.join();
  INFO(server->stderr_text());
  for (const std::string &what : wrong)
    UNSCOPED_INFO(what);
  CHECK(answered == 96);
  CHECK(wrong.empty());
  CHECK(timed_out > 0);
  auto after = client_for(*server).Get("/");
  REQUIRE(after);
  CHECK(after->status == 200);
}
