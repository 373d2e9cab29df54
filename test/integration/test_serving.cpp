// Integration tests: the real server, the example and test libraries, real HTTP.
#include "test/integration/server_process.hpp"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>

using namespace flexilib::test;

namespace {

std::string example_library() {
  return build_path("executors/libflexilib-example.so");
}

std::string example_config() {
  return "Host: iam / = " + example_library() +
         "\n/json = " + build_path("executors/libflexilib-json-example.so") +
         "\n/abi = " + test_library("flexilib-layout-only") + "\n/ = " + example_library() + "\n";
}

// The lines of the layout-only library's echo, in order.
std::vector<std::string> lines_of(const std::string &body) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = body.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(body.substr(start, end - start));
  return lines;
}

} // namespace

TEST_CASE("the example library behaves as FlexiLib's does", "[serving]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  auto client = client_for(*server);

  auto plain = client.Get("/", {{"X-One", "1"}});
  REQUIRE(plain);
  CHECK(plain->status == 200);
  // cpp-httplib's client sends Host, Accept, User-Agent... and X-One: the body counts them.
  CHECK(std::regex_match(plain->body, std::regex(" [0-9]+")));
  CHECK(plain->get_header_value("X-custom-foo") == "bar");
  CHECK(plain->get_header_value("Content-Type") == "text/plain");

  auto raw = raw_request(server->port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(raw.substr(raw.size() - 2) == " 1"); // exactly one header: Connection

  auto iam = client.Get("/anything", {{"Host", "iam.example.com"}});
  REQUIRE(iam);
  CHECK(iam->body == "iam response");

  auto teapot = client.Get("/", {{"x-status", "418"}});
  REQUIRE(teapot);
  CHECK(teapot->status == 418);

  auto logged = client.Get("/", {{"x-log-this", "hello"}});
  REQUIRE(logged);
  CHECK(logged->body.rfind("hello ", 0) == 0);

  auto failed = client.Get("/", {{"x-throw", "1"}});
  REQUIRE(failed);
  CHECK(failed->status == 500);

  auto failed_with_status = client.Get("/", {{"x-throw", "1"}, {"x-status", "503"}});
  REQUIRE(failed_with_status);
  CHECK(failed_with_status->status == 503);
}

TEST_CASE("a library built only against FlexiLib's struct layout works unchanged",
          "[serving][abi]") {
  TempDir dir;
  auto server = start_server(dir, example_config());

  const std::string request = "POST /abi/x?q=1&r=2 HTTP/1.1\r\nzeta: last-alphabetically\r\n"
                              "Host: h\r\nalpha:  spaced  \r\nzeta: again\r\n"
                              "Content-Length: 4\r\nConnection: close\r\n\r\nbody";
  const std::string response = raw_request(server->port(), request);
  const std::string body = response.substr(response.find("\r\n\r\n") + 4);
  const std::vector<std::string> expected{"target=/abi/x?q=1&r=2",
                                          "method=POST",
                                          "content=body",
                                          "zeta=last-alphabetically",
                                          "Host=h",
                                          "alpha=spaced",
                                          "zeta=again",
                                          "Content-Length=4",
                                          "Connection=close"};
  // Headers arrive in the order sent, with their original case, and nothing the
  // server or cpp-httplib adds (REMOTE_ADDR, LOCAL_PORT...) reaches the library.
  CHECK(lines_of(body) == expected);
  CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
}

TEST_CASE("a library exporting zigInit allocates through FlexiLib's Zig allocator, "
          "every byte in alloc",
          "[serving][abi][zig_allocator]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("zig-init") + "\n",
                             {{"RESPONSE_PREALLOCATION_KB", "8"}});
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    const std::string response =
        raw_request(server->port(), "GET /zig HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(response.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(response.find("\r\nx-allocator: zig\r\n") != std::string::npos);
    CHECK(response.substr(response.find("\r\n\r\n") + 4) == "in-place aligned moved");
  }
  // The server's header array (32 bytes), the response (64) and the body grown in
  // place to 112 fill 208 bytes; the page-aligned block takes the rest of the 8 KiB
  // (padding included); the moved body (208) and the header array (32) come from the
  // heap: 8432, the same each time since the arena is reset after each response.
  int logged = 0;
  CHECK(eventually([&] {
    logged = 0;
    for (const std::string &line : server->stdout_lines())
      if (line.find("\"GET /zig HTTP/1.1\" 200") != std::string::npos &&
          line.find("(pre-alloc: 8192, alloc: 8432)") != std::string::npos)
        ++logged;
    return logged == 2;
  }));
}

TEST_CASE("status, reason phrase and request_deinit follow the ABI", "[serving][abi]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  auto client = client_for(*server);

  const std::string created =
      raw_request(server->port(), "GET /abi HTTP/1.1\r\nx-created: 1\r\nConnection: close\r\n\r\n");
  CHECK(created.rfind("HTTP/1.1 201 Made It\r\n", 0) == 0);

  // request_deinit runs after each response has been written: the count the library
  // reports grows. (Each Get is a new connection, possibly on the other thread, so
  // the first request's deinit may still be running when the second is answered.)
  auto first = client.Get("/abi");
  REQUIRE(first);
  const long before = std::stol(first->get_header_value("x-deinit-count"));
  CHECK(eventually([&] {
    auto next = client.Get("/abi");
    return next && std::stol(next->get_header_value("x-deinit-count")) > before;
  }));
}

TEST_CASE("every request is logged in FlexiLib's line format", "[serving][log]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  auto client = client_for(*server);
  REQUIRE(client.Get("/log-me?x=1", {{"x-status", "202"}}));

  static const std::regex format(
      R"(127\.0\.0\.1:\d+ - - "GET /log-me\?x=1 HTTP/1\.1" 202 ttfb \d+\.\d{3}ms (\d+) )"
      R"(ttlb \d+\.\d{3}ms \(pre-alloc: 8192, alloc: (\d+)\))");
  auto line = server->wait_for_stdout(
      [](const std::string &text) { return text.find("/log-me") != std::string::npos; });
  REQUIRE(line);
  std::smatch match;
  REQUIRE(std::regex_match(*line, match, format));
  CHECK(std::stoul(match[2]) > 0); // the header array at least came from the arena
}

TEST_CASE("the pre-allocation figure follows RESPONSE_PREALLOCATION_KB", "[serving][log]") {
  TempDir dir;
  auto server = start_server(dir, example_config(), {{"RESPONSE_PREALLOCATION_KB", "32"}});
  REQUIRE(client_for(*server).Get("/"));
  CHECK(server->wait_for_stdout([](const std::string &text) {
    return text.find("(pre-alloc: 32768, alloc: ") != std::string::npos;
  }));
}

TEST_CASE("the C++ example answers JSON with the request's headers in order", "[serving]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  auto response = client_for(*server).Post("/json/echo?a=b", "12345", "text/plain");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type") == "application/json");
  CHECK(response->body.find(R"("target":"/json/echo?a=b")") != std::string::npos);
  CHECK(response->body.find(R"("body_bytes":5)") != std::string::npos);
  CHECK(response->body.find(R"("method":"POST")") != std::string::npos);
}

TEST_CASE("a library is loaded once however many requests race for it", "[serving][loader]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  // Raw sockets rather than cpp-httplib clients: that library is not built for
  // ThreadSanitizer, which then misreads its internals when several threads use it.
  for (int i = 0; i < 16; ++i)
    clients.emplace_back([&] {
      const std::string answer =
          raw_request(server->port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
      if (answer.rfind("HTTP/1.1 200 OK", 0) == 0) ++ok;
    });
  for (auto &client : clients)
    client.join();
  CHECK(ok == 16);
  int loads = 0;
  for (const std::string &line : server->stderr_lines())
    if (line.find("loaded " + example_library()) != std::string::npos) ++loads;
  CHECK(loads == 1);
}

TEST_CASE("keep-alive, pipelining and bodies on any method", "[serving][http]") {
  TempDir dir;
  auto server = start_server(dir, example_config());

  // Three pipelined requests on one connection, the last closing it.
  const std::string answers =
      raw_request(server->port(), "GET /1 HTTP/1.1\r\n\r\n"
                                  "GET /2 HTTP/1.1\r\n\r\n"
                                  "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
  size_t count = 0;
  for (size_t at = 0; (at = answers.find("HTTP/1.1 200 OK", at)) != std::string::npos; ++at)
    ++count;
  CHECK(count == 3);

  // A GET with a body: the library sees it and the next request still parses.
  const std::string with_body =
      raw_request(server->port(), "GET /abi HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                                  "GET /abi HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(with_body.find("content=hello") != std::string::npos);
  CHECK(with_body.find("HTTP/1.1 200", with_body.find("content=hello")) != std::string::npos);

  // A POST without Content-Length has an empty body (and no wait for one).
  const std::string empty_post =
      raw_request(server->port(), "POST /abi HTTP/1.1\r\nConnection: close\r\n\r\n", 2s);
  CHECK(empty_post.find("content=\n") != std::string::npos);

  // HEAD gets the headers only.
  auto head = client_for(*server).Head("/");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
}

TEST_CASE("more keep-alive connections than threads are all served", "[serving][pool]") {
  TempDir dir;
  auto server = start_server(dir, example_config(), {{"SERVER_THREAD_COUNT", "2"}});
  // 32 clients on 2 threads, each keeping its connection open across 5 requests:
  // a thread-per-connection pool would leave 30 of them waiting.
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < 32; ++i) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", server->port()));
    clients.back()->set_keep_alive(true);
    clients.back()->set_read_timeout(2);
  }
  int ok = 0;
  for (int round = 0; round < 5; ++round)
    for (auto &client : clients)
      if (auto response = client->Get("/"); response && response->status == 200) ++ok;
  CHECK(ok == 32 * 5);
}

TEST_CASE("form bodies reach the library as sent, whatever their size or type", "[serving][http]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  auto client = client_for(*server);
  // cpp-httplib would parse these itself: multipart into its own structures (an empty
  // body for the library) and urlencoded only up to 8 KiB.
  const std::string multipart =
      "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nvalue\r\n--b--\r\n";
  auto form = client.Post("/abi", multipart, "multipart/form-data; boundary=b");
  REQUIRE(form);
  CHECK(form->status == 200);
  CHECK(form->body.find("content=--b\r\nContent-Disposition") != std::string::npos);

  const std::string urlencoded = "a=" + std::string(20000, 'x');
  auto large = client.Post("/json", urlencoded, "application/x-www-form-urlencoded");
  REQUIRE(large);
  CHECK(large->status == 200);
  CHECK(large->body.find("\"body_bytes\":20002") != std::string::npos);
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[serving][http]") {
  TempDir dir;
  auto server = start_server(dir, example_config());
  // The 100 must arrive on its own, before the client sends its body.
  const std::string interim =
      raw_request(server->port(),
                  "POST /abi HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", 1s);
  CHECK(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
}

TEST_CASE("a handler past STAND_IN_AFTER_MS gets a stand-in thread for the other connections",
          "[serving][pool][slow]") {
  // One serving thread, held by a handler sleeping 2 s. With a stand-in, quick requests
  // on another connection are answered while the slow one still runs; with none
  // (STAND_IN_AFTER_MS=0) they wait for it. Order, not timing, is checked.
  const bool stand_in = GENERATE(true, false);
  INFO("stand-in " << stand_in);
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("sleeps") + "\n",
                             {{"SERVER_THREAD_COUNT", "1"},
                              {"HANDLER_TIMEOUT_MS", "10000"},
                              {"STAND_IN_AFTER_MS", stand_in ? "5" : "0"}});
  const int port = server->port();
  std::atomic<bool> slow_done{false};
  std::thread slow([&] {
    raw_request(port, "GET / HTTP/1.1\r\nx-sleep-us: 2000000\r\nConnection: close\r\n\r\n", 10s);
    slow_done = true;
  });
  const std::string probe = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
  if (stand_in) {
    // Quick requests for a second from when the slow one has surely started: each is
    // answered before the slow one is.
    std::this_thread::sleep_for(300ms);
    const auto until = std::chrono::steady_clock::now() + 1s;
    int answered = 0;
    while (std::chrono::steady_clock::now() < until) {
      CHECK_THAT(raw_request(port, probe, 5s), Catch::StartsWith("HTTP/1.1 200"));
      CHECK_FALSE(slow_done);
      ++answered;
    }
    CHECK(answered > 0);
  } else {
    // The only thread is in the handler once a quick request goes unanswered; the
    // next one is answered only after the slow one.
    REQUIRE(eventually([&] { return raw_request(port, probe, 300ms).empty(); }));
    CHECK_THAT(raw_request(port, probe, 10s), Catch::StartsWith("HTTP/1.1 200"));
    CHECK(slow_done);
  }
  slow.join();
  // The slow thread has left; the stand-in serves on.
  for (int i = 0; i < 10; ++i)
    CHECK_THAT(raw_request(port, probe, 5s), Catch::StartsWith("HTTP/1.1 200"));
}

TEST_CASE("a slow handler holds up only its own connection", "[serving][pool][slow]") {
  // Two threads; one connection's handler sleeps 200 ms per request, four turns in a
  // row, while four other connections keep asking for quick answers. The thread in the
  // slow handler must not sit on ready connections the other thread is free to serve:
  // held up behind it they would wait the whole 200 ms. The bound is behavioural, not
  // a latency target (bench/run.sh measures the p99): most quick requests are answered
  // in a fraction of the sleep, even on a loaded machine under a sanitizer.
  constexpr int slow_us = 200000;
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("sleeps") + "\n",
                             {{"SERVER_THREAD_COUNT", "2"}, {"HANDLER_TIMEOUT_MS", "10000"}});
  std::atomic<bool> slow_done{false};
  std::atomic<int> slow_ok{0};
  std::thread slow([&] {
    auto client = client_for(*server);
    for (int i = 0; i < 4; ++i)
      if (auto response = client.Get("/", {{"x-sleep-us", std::to_string(slow_us)}});
          response && response->status == 200)
        ++slow_ok;
    slow_done = true;
  });
  std::mutex latencies_mutex;
  std::vector<double> latencies_ms;
  std::atomic<int> failed{0};
  std::vector<std::thread> quick;
  for (int c = 0; c < 4; ++c)
    quick.emplace_back([&] {
      auto client = client_for(*server);
      client.set_keep_alive(true);
      while (!slow_done) {
        const auto start = std::chrono::steady_clock::now();
        auto response = client.Get("/", {{"x-sleep-us", "0"}});
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        if (!response || response->status != 200) {
          ++failed;
          continue;
        }
        std::lock_guard lock(latencies_mutex);
        latencies_ms.push_back(ms);
      }
    });
  slow.join();
  for (std::thread &client : quick)
    client.join();
  INFO(server->stderr_text());
  CHECK(slow_ok == 4);
  CHECK(failed == 0);
  REQUIRE(latencies_ms.size() >= 8);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double median = latencies_ms[latencies_ms.size() / 2];
  const size_t held_up = size_t(
      std::count_if(latencies_ms.begin(), latencies_ms.end(), [](double ms) { return ms >= 150; }));
  INFO(latencies_ms.size() << " quick requests, median " << median << " ms, " << held_up
                           << " took 150 ms or more, slowest " << latencies_ms.back() << " ms");
  CHECK(median < 50);
  CHECK(held_up * 10 <= latencies_ms.size());
}
