// Integration tests of Zig libraries: the Zig 0.11 example answers as FlexiLib's
// example does, through the Zig allocator over the serving thread's arena, on two
// threads at once, past the pre-allocation, replaced under load, crashing, failing.
// Built only when CMake found Zig 0.11 (cmake/handler_toolchains.cmake).
#include "test/integration/example_answers.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

using namespace flexilib::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string zig_example() {
  return build_path("executors/libflexilib-zig-example.so");
}

std::string c_example() {
  return build_path("executors/libflexilib-example.so");
}

json admin_json(int admin_port, const std::string &path) {
  httplib::Client admin("127.0.0.1", admin_port);
  admin.set_read_timeout(5);
  auto response = admin.Get(path);
  REQUIRE(response);
  REQUIRE(response->status == 200);
  return json::parse(response->body);
}

// The status line and body of a request on a connection of its own, exactly as sent.
std::string exchange(int port, const std::string &target, const std::string &headers) {
  const std::string answer =
      raw_request(port, "GET " + target + " HTTP/1.1\r\n" + headers + "Connection: close\r\n\r\n");
  const size_t head_end = answer.find("\r\n\r\n");
  if (head_end == std::string::npos) return "incomplete: " + answer;
  return answer.substr(0, answer.find("\r\n")) + "|" + answer.substr(head_end + 4);
}

} // namespace

TEST_CASE("the Zig example answers every request as the C example does", "[zig][serving]") {
  TempDir dir;
  auto server = start_server(dir, "/zig = " + zig_example() + "\n/c = " + c_example() +
                                      "\n/cf = cloudflare:" + zig_example() + "\n");
  for (const ExampleRequest &request : example_requests()) {
    INFO(request.name);
    const std::string from_c = answer_to(*server, "/c", request);
    CHECK(answer_to(*server, "/zig", request) == from_c);
    CHECK(from_c != "no response");
  }
  // On a cloudflare: route too (the Worker headers count: more than one header).
  auto worker = client_for(*server).Get("/cf");
  REQUIRE(worker);
  CHECK(worker->status == 200);
  CHECK(worker->get_header_value("X-custom-foo") == "bar");
}

TEST_CASE("a Zig library's allocations count in alloc and go after the response", "[zig][log]") {
  TempDir dir;
  auto server = start_server(dir, "/zig = " + zig_example() + "\n/c = " + c_example() + "\n",
                             {{"RESPONSE_PREALLOCATION_KB", "8"}});
  const std::string request = "x-log-this: hello\r\n";
  CHECK(exchange(server->port(), "/zig", request) == "HTTP/1.1 200 OK|hello 2");
  CHECK(exchange(server->port(), "/c", request) == "HTTP/1.1 200 OK|hello 2");
  auto alloc_of = [&](const std::string &target) -> long {
    const auto line = server->wait_for_stdout([&](const std::string &text) {
      return text.find("\"GET " + target + " HTTP/1.1\" 200") != std::string::npos;
    });
    REQUIRE(line);
    const size_t at = line->find(", alloc: ");
    REQUIRE(at != std::string::npos);
    return std::stol(line->substr(at + 9));
  };
  const long zig = alloc_of("/zig"), c = alloc_of("/c");
  // The server's header array (two headers: 64 bytes) is in both; the Zig library's
  // response, its 16-byte-aligned exchange, body and header list come on top.
  CHECK(c > 64);
  CHECK(zig > c);
  CHECK(zig < 8192);
  // The same request again costs the same: the arena was reset after the first.
  CHECK(exchange(server->port(), "/zig?again", request) == "HTTP/1.1 200 OK|hello 2");
  CHECK(alloc_of("/zig?again") == zig);
}

TEST_CASE("a Zig library on two threads at once: every body intact, the same request "
          "always the same alloc",
          "[zig][concurrency]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + zig_example() + "\n",
                             {{"ADMIN_PORT", "0"}, {"SERVER_THREAD_COUNT", "2"}});
  const int admin_port = server->announced_port("admin");
  constexpr int kinds = 6, clients = 4, rounds = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int client = 0; client < clients; ++client)
    threads.emplace_back([&, client] {
      for (int round = 0; round < rounds; ++round) {
        const int kind = (client + round) % kinds;
        // Longer texts make the body list grow more often: more resizes and moves.
        const std::string text(size_t(kind) * 300, char('a' + kind));
        const std::string expected = "HTTP/1.1 200 OK|" + text + " 2";
        if (exchange(server->port(), "/k" + std::to_string(kind), "x-log-this: " + text + "\r\n") !=
            expected)
          ++wrong;
      }
    });
  for (auto &thread : threads)
    thread.join();
  CHECK(wrong == 0);

  // A request's figures are recorded just after its last byte went out.
  json records;
  REQUIRE(eventually([&] {
    records = admin_json(admin_port, "/requests?limit=1000")["requests"];
    return records.size() == size_t(clients * rounds);
  }));
  std::map<std::string, std::set<long>> allocs;
  std::set<int> serving_threads;
  for (const json &record : records) {
    allocs[record["target"]].insert(record["alloc_bytes"].get<long>());
    serving_threads.insert(record["thread"].get<int>());
  }
  CHECK(serving_threads.size() == 2);
  REQUIRE(allocs.size() == size_t(kinds));
  for (const auto &[target, values] : allocs) {
    INFO(target);
    CHECK(values.size() == 1);
  }
  CHECK(*allocs["/k5"].begin() > *allocs["/k0"].begin() + 1500); // the body counts
}

TEST_CASE("a Zig library allocating past RESPONSE_PREALLOCATION_KB gets heap blocks",
          "[zig][arena]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("zig-behaviours") + "\n",
                             {{"ADMIN_PORT", "0"}, {"RESPONSE_PREALLOCATION_KB", "8"}});
  const int admin_port = server->announced_port("admin");
  auto client = client_for(*server);
  for (int kib : {4, 64, 1024}) {
    INFO(kib << " KiB");
    auto response = client.Get("/big", {{"x-mode", "body-kb"}, {"x-body-kb", std::to_string(kib)}});
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.size() == size_t(kib) * 1024);
    CHECK(response->body.find_first_not_of('z') == std::string::npos);
  }
  // A request's figures are recorded just after its last byte went out.
  json stats;
  CHECK(eventually([&] { return (stats = admin_json(admin_port, "/stats"))["requests"] == 3; }));
  CHECK(stats["alloc"]["over_prealloc_requests"] == 2); // 4 KiB grew within the 8 KiB
  CHECK(stats["alloc"]["max_bytes"].get<long>() >= 1024 * 1024);

  auto page = client.Get("/page", {{"x-mode", "page"}});
  REQUIRE(page);
  CHECK(page->body == "aligned");
}

TEST_CASE("a Zig handler's error, or no memory from the allocator, becomes 500 with a log "
          "line, and the server serves on",
          "[zig][errors]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("zig-behaviours") + "\n");
  auto client = client_for(*server);
  for (const std::string mode : {"error", "oom"}) {
    INFO(mode);
    auto failed = client.Get("/" + mode, {{"x-mode", mode}});
    REQUIRE(failed);
    CHECK(failed->status == 500);
    CHECK(server->wait_for_stderr([&](const std::string &line) {
      return line.find("libzig-behaviours.so: handle_request returned NULL for GET /" + mode) !=
             std::string::npos;
    }));
  }
  auto after = client.Get("/");
  REQUIRE(after);
  CHECK(after->body == "v1");
}

TEST_CASE("a Zig handler that panics takes the serving process down, the supervisor "
          "restarts it and names the library",
          "[zig][process]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("zig-behaviours") + "\n");
  CHECK_FALSE(client_for(*server).Get("/crash", {{"x-mode", "crash"}}));
  // Zig's panic handler prints the message and a stack trace (slow to symbolise in a
  // sanitizer build) before it aborts.
  const auto line = server->wait_for_stderr(
      [](const std::string &text) {
        return text.find("serving process") != std::string::npos &&
               text.find("GET /crash") != std::string::npos &&
               text.find("libzig-behaviours.so") != std::string::npos;
      },
      60s);
  CHECK(line);
  CHECK(server->stderr_text().find("zig_behaviours crashes on request") != std::string::npos);
  CHECK(eventually([&] {
    auto response = client_for(*server).Get("/");
    return response && response->body == "v1";
  }));
}

TEST_CASE("a Zig library replaced under load: no request fails", "[zig][reload]") {
  TempDir dir;
  const std::string library = dir.file("libzig.so");
  fs::copy_file(test_library("zig-behaviours"), library);
  auto server = start_server(dir, "/ = " + library + "\n");
  std::atomic<bool> stop{false};
  std::atomic<int> v1{0}, v2{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      while (!stop) {
        const std::string answer = exchange(server->port(), "/", "");
        if (answer == "HTTP/1.1 200 OK|v1")
          ++v1;
        else if (answer == "HTTP/1.1 200 OK|v2")
          ++v2;
        else
          ++failed;
      }
    });
  CHECK(eventually([&] { return v1 > 20; }));
  // A new inode renamed over the old name, as linkers do.
  fs::copy_file(test_library("zig-behaviours-v2"), library + ".new");
  fs::rename(library + ".new", library);
  CHECK(eventually([&] { return v2 > 20; }, 10s));
  stop = true;
  for (auto &client : clients)
    client.join();
  CHECK(failed == 0);
}

// [heavy]: run once, in the Release build only (scripts/test.sh leaves the label out of
// the sanitizer builds): 100,000 requests take seconds there, minutes under TSan.
TEST_CASE("a Zig library past the pre-allocation 100,000 times: private memory stays flat",
          "[zig][arena][heavy]") {
  TempDir dir;
  auto server = start_server(dir, "/ = " + test_library("zig-behaviours") + "\n",
                             {{"ADMIN_PORT", "0"}, {"RESPONSE_PREALLOCATION_KB", "8"}});
  const int admin_port = server->announced_port("admin");
  // Two keep-alive clients, one per serving thread; each request's 16 KiB body grows
  // past the 8 KiB arena into heap blocks that must all go back.
  auto send = [&](int requests) {
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([&] {
        auto client = client_for(*server);
        client.set_keep_alive(true);
        const httplib::Headers headers{{"x-mode", "body-kb"}, {"x-body-kb", "16"}};
        for (int i = 0; i < requests / 2; ++i) {
          auto response = client.Get("/", headers);
          if (!response || response->status != 200 || response->body.size() != 16 * 1024) ++wrong;
        }
      });
    for (auto &thread : threads)
      thread.join();
    return wrong.load();
  };
  auto private_bytes = [&] {
    return admin_json(admin_port, "/stats")["memory"]["private_bytes"].get<long>();
  };
  REQUIRE(send(10000) == 0); // warm-up: the heap and the threads' caches settle
  const long before = private_bytes();
  REQUIRE(send(90000) == 0);
  const long after = private_bytes();
  INFO("private memory " << before << " -> " << after << " bytes");
  // A 16 KiB block lost every thousandth request alone would add 1.4 MiB.
  CHECK(after - before < 1024 * 1024);
  CHECK(eventually([&] {
    return admin_json(admin_port, "/stats")["alloc"]["over_prealloc_requests"] == 100000;
  }));
}
