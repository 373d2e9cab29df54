// Integration tests of the admin endpoint: every endpoint, every refusal, the ring's
// bound, reloads, and answers while every serving thread is busy.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flexilib::test;
using nlohmann::json;

namespace {

std::string example_library() {
  return build_path("executors/libflexilib-example.so");
}

// A running server with its admin endpoint on a free port.
struct AdminServerProcess {
  std::unique_ptr<ServerProcess> server;
  int admin_port = 0;
};

AdminServerProcess start_with_admin(const TempDir &dir, const std::string &config,
                                    std::map<std::string, std::string> env = {}) {
  env.emplace("ADMIN_PORT", "0");
  AdminServerProcess running{start_server(dir, config, env)};
  running.admin_port = running.server->announced_port("admin");
  return running;
}

httplib::Client admin_client(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  client.set_write_timeout(5);
  return client;
}

json body_of(const httplib::Result &result) {
  REQUIRE(result);
  INFO(result->body);
  REQUIRE(result->get_header_value("Content-Type") == "application/json");
  return json::parse(result->body);
}

json get_json(int port, const std::string &path) {
  auto client = admin_client(port);
  auto result = client.Get(path.c_str());
  REQUIRE(result);
  INFO(path << ": " << result->body);
  REQUIRE(result->status == 200);
  return body_of(result);
}

// Figures are recorded just after the response is written, so a client can see its
// response a moment before the figures include it: poll for them.
json requests_once(int port, size_t count, const std::string &query = "") {
  json records;
  const bool seen = eventually([&] {
    records = get_json(port, "/requests" + query)["requests"];
    return records.size() >= count;
  });
  INFO(records.dump(2));
  REQUIRE(seen);
  return records;
}

void get_ok(const ServerProcess &server, const std::string &target, httplib::Headers headers = {}) {
  auto client = client_for(server);
  auto result = client.Get(target.c_str(), headers);
  REQUIRE(result);
}

std::string counter_config() {
  return "/c = " + test_library("counter") + "\n/ = " + example_library() + "\n";
}

} // namespace

TEST_CASE("admin: GET / lists every endpoint with its method and help", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  const json index = get_json(running.admin_port, "/");
  std::map<std::string, json> by_path;
  for (const json &endpoint : index["endpoints"])
    by_path[endpoint["path"]] = endpoint;
  for (const char *path :
       {"/", "/requests", "/stats", "/routes", "/reload", "/healthz", "/metrics"}) {
    INFO(path);
    REQUIRE(by_path.count(path) == 1);
    CHECK_FALSE(by_path[path]["help"].get<std::string>().empty());
  }
  CHECK(by_path["/reload"]["method"] == "POST");
  CHECK(by_path["/reload"]["mutates"] == true);
  CHECK(by_path["/stats"]["method"] == "GET");
  CHECK(by_path["/stats"]["mutates"] == false);
}

TEST_CASE("admin: GET /requests lists recent requests newest first", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  // One keep-alive connection: each request is recorded before the next is read.
  auto client = client_for(*running.server);
  client.set_keep_alive(true);
  for (int n = 1; n <= 3; ++n)
    REQUIRE(client.Get(("/?n=" + std::to_string(n)).c_str()));

  requests_once(running.admin_port, 3);
  const json records = get_json(running.admin_port, "/requests?limit=2")["requests"];
  REQUIRE(records.size() == 2);
  CHECK(records[0]["target"] == "/?n=3");
  CHECK(records[1]["target"] == "/?n=2");
  CHECK(records[0]["sequence"] == 3);
  CHECK(records[1]["sequence"] == 2);
  const json &newest = records[0];
  CHECK(std::regex_match(newest["time"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(std::regex_match(newest["client"].get<std::string>(), std::regex(R"(127\.0\.0\.1:\d+)")));
  CHECK(newest["method"] == "GET");
  CHECK(newest["route"] == "/");
  CHECK(newest["library"] == example_library());
  CHECK(newest["generation"] == 1);
  CHECK(newest["status"] == 200);
  CHECK(newest["bytes"].get<int>() > 0);
  CHECK(newest["ttfb_ms"].get<double>() >= 0);
  CHECK(newest["ttlb_ms"].get<double>() >= newest["ttfb_ms"].get<double>());
  CHECK(newest["prealloc_bytes"] == 8192);
  CHECK(newest["alloc_bytes"].get<int>() > 0);
  CHECK(newest["thread"].get<int>() < 2);
}

TEST_CASE("admin: GET /requests refuses an invalid limit", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  auto client = admin_client(running.admin_port);
  for (const char *query : {"limit=", "limit=abc", "limit=-1", "limit=5x", "limit=99999999"}) {
    INFO(query);
    auto result = client.Get((std::string("/requests?") + query).c_str());
    REQUIRE(result);
    CHECK(result->status == 400);
    CHECK(body_of(result)["error"].get<std::string>().find("limit") != std::string::npos);
  }
}

TEST_CASE("admin: the recent-request ring keeps at most ADMIN_RECENT_REQUESTS", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config(), {{"ADMIN_RECENT_REQUESTS", "5"}});
  for (int n = 1; n <= 20; ++n)
    get_ok(*running.server, "/?n=" + std::to_string(n));

  // Requests on separate connections are recorded in the order they finish, which
  // the sequence numbers give: wait for the 20th, then check the bound and the order.
  json records;
  REQUIRE(eventually([&] {
    records = get_json(running.admin_port, "/requests?limit=100")["requests"];
    return !records.empty() && records[0]["sequence"] == 20;
  }));
  INFO(records.dump(2));
  CHECK(records.size() <= 5);
  // Each of the two threads keeps its own newest 3, of which the newest 5 are shown.
  CHECK(records.size() >= 3);
  CHECK(get_json(running.admin_port, "/requests?limit=100")["ring_size"] == 5);
  uint64_t previous = 21;
  for (const json &record : records) {
    const uint64_t sequence = record["sequence"];
    CHECK(sequence < previous);
    previous = sequence;
  }
}

TEST_CASE("admin: GET /stats reports status classes, percentiles, memory", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, "/c = " + test_library("counter") +
                                           "\n/slow = " + example_library() + "\n");
  for (int i = 0; i < 8; ++i)
    get_ok(*running.server, "/c");
  get_ok(*running.server, "/slow", {{"x-slow", "100"}});
  get_ok(*running.server, "/nothing-routes-here");

  json stats;
  REQUIRE(eventually([&] {
    stats = get_json(running.admin_port, "/stats");
    // The server's, the route's and the library's figures are added one after the other.
    return stats["requests"] == 10 && stats["routes"]["/c"]["requests"] == 8 &&
           stats["libraries"][test_library("counter")]["requests"] == 8 &&
           stats["libraries"][example_library()]["requests"] == 1;
  }));
  INFO(stats.dump(2));
  CHECK(stats["by_status_class"]["2xx"] == 9);
  CHECK(stats["by_status_class"]["4xx"] == 1);
  CHECK(stats["serving_threads"] == 2);
  CHECK(stats["uptime_s"].get<double>() >= 0);
  CHECK(stats["memory"]["resident_bytes"].get<uint64_t>() > 0);
  CHECK(stats["memory"]["private_bytes"].get<uint64_t>() > 0);
  // Nine fast requests and one of 100 ms: the median is fast, p99 and max are not.
  CHECK(stats["ttfb_ms"]["p50"].get<double>() < 100);
  CHECK(stats["ttfb_ms"]["p99"].get<double>() >= 100);
  CHECK(stats["ttfb_ms"]["max"].get<double>() >= 100);
  CHECK(stats["ttlb_ms"]["max"].get<double>() >= stats["ttfb_ms"]["max"].get<double>());
  CHECK(stats["alloc"]["max_bytes"].get<uint64_t>() > 0);
  CHECK(stats["routes"]["/c"]["requests"] == 8);
  CHECK(stats["routes"]["/slow"]["ttfb_ms"]["p50"].get<double>() >= 100);
  CHECK(stats["libraries"][test_library("counter")]["requests"] == 8);
  CHECK(stats["libraries"][example_library()]["by_status_class"]["2xx"] == 1);
}

TEST_CASE("admin: GET /routes shows the rules in order with their libraries", "[admin]") {
  TempDir dir;
  const std::string missing = dir.file("missing.so");
  auto running = start_with_admin(dir, "Host: iam / = " + example_library() + "\n/c = " +
                                           test_library("counter") + "\n/m = " + missing + "\n");
  get_ok(*running.server, "/c");
  get_ok(*running.server, "/c");
  get_ok(*running.server, "/m");

  json routes;
  REQUIRE(eventually([&] {
    routes = get_json(running.admin_port, "/routes")["routes"];
    return routes.size() == 3 && routes[1]["requests"] == 2 && routes[1]["library_requests"] == 2 &&
           routes[2]["requests"] == 1;
  }));
  INFO(routes.dump(2));
  CHECK(routes[0]["route"] == "Host: iam /");
  CHECK(routes[0]["header_name"] == "Host");
  CHECK(routes[0]["header_value_prefix"] == "iam");
  CHECK(routes[0]["path_prefix"] == "/");
  CHECK(routes[0]["line"] == 1);
  CHECK(routes[0]["generation"].is_null()); // never requested: not loaded yet

  const json &counter = routes[1];
  CHECK(counter["route"] == "/c");
  CHECK(counter["header_name"].is_null());
  CHECK(counter["library"] == test_library("counter"));
  CHECK(counter["generation"] == 1);
  CHECK(counter["load_ms"].get<double>() > 0);
  CHECK(counter["init_ms"].get<double>() >= 0);
  CHECK(counter["library_requests"] == 2);
  CHECK(counter["last_error"].is_null());

  CHECK(routes[2]["generation"].is_null());
  CHECK(routes[2]["last_error"].get<std::string>().find("missing.so") != std::string::npos);
}

TEST_CASE("admin: POST /reload applies a valid configuration", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, "/c = " + test_library("counter") + "\n");
  auto client = client_for(*running.server);
  REQUIRE(client.Get("/new")->status == 404);

  dir.write_file("proxy.ini", "/c = " + test_library("counter") +
                                  "\n/new = " + test_library("counter-v2") + "\n");
  auto admin = admin_client(running.admin_port);
  auto result = admin.Post("/reload");
  REQUIRE(result);
  CHECK(result->status == 200);
  const json reply = body_of(result);
  CHECK(reply["reloaded"] == "configuration");
  CHECK(reply["rules"] == 2);

  auto fresh = client.Get("/new");
  REQUIRE(fresh);
  CHECK(fresh->status == 200);
  CHECK(fresh->body == "v2");
  CHECK(get_json(running.admin_port, "/routes")["routes"].size() == 2);
}

TEST_CASE("admin: a POST without a body or Content-Length is served", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  // What `curl -X POST` sends.
  const std::string answer = raw_request(
      running.admin_port, "POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
  INFO(answer);
  CHECK(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(answer.find("\"reloaded\": \"configuration\"") != std::string::npos);
}

TEST_CASE("admin: POST /reload refuses an invalid configuration and keeps the old", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, "/c = " + test_library("counter") + "\n");
  dir.write_file("proxy.ini", "/c = " + test_library("counter-v2") + "\nthis is not a rule\n");

  auto admin = admin_client(running.admin_port);
  auto result = admin.Post("/reload");
  REQUIRE(result);
  CHECK(result->status == 422);
  const json reply = body_of(result);
  INFO(reply.dump(2));
  REQUIRE(reply["errors"].size() == 1);
  CHECK(reply["errors"][0].get<std::string>().find("proxy.ini:2:") != std::string::npos);

  auto old = client_for(*running.server).Get("/c");
  REQUIRE(old);
  CHECK(old->status == 200);
  CHECK(old->body == "v1");
}

TEST_CASE("admin: POST /reload?library= reloads one library", "[admin]") {
  TempDir dir;
  const std::string library = dir.file("libcounter.so");
  std::filesystem::copy_file(test_library("counter"), library);
  auto running = start_with_admin(dir, "/c = " + library + "\n");
  get_ok(*running.server, "/c");
  auto admin = admin_client(running.admin_port);

  auto reloaded = admin.Post(("/reload?library=" + library).c_str());
  REQUIRE(reloaded);
  CHECK(reloaded->status == 200);
  CHECK(body_of(reloaded)["generation"] == 2);
  CHECK(get_json(running.admin_port, "/routes")["routes"][0]["generation"] == 2);

  auto unknown = admin.Post(("/reload?library=" + dir.file("other.so")).c_str());
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(body_of(unknown)["error"].get<std::string>().find("other.so") != std::string::npos);

  // A file that is no longer a library: the load error, and the old generation serves.
  std::filesystem::remove(library);
  dir.write_file("libcounter.so", "not a library\n");
  auto failed = admin.Post(("/reload?library=" + library).c_str());
  REQUIRE(failed);
  CHECK(failed->status == 422);
  const json reply = body_of(failed);
  CHECK(reply["error"].get<std::string>().find("libcounter.so") != std::string::npos);
  CHECK(reply["generation"] == 2);
  auto still = client_for(*running.server).Get("/c");
  REQUIRE(still);
  CHECK(still->body == "v1");
}

TEST_CASE("admin: GET /healthz answers ok", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  CHECK(get_json(running.admin_port, "/healthz") == json{{"status", "ok"}});
}

TEST_CASE("admin: GET /metrics is Prometheus text with counters and histograms", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  for (int i = 0; i < 3; ++i)
    get_ok(*running.server, "/c");
  const std::string count_line =
      "flexilib_route_requests_total{route=\"/c\",status_class=\"2xx\"} 3";
  std::string text;
  REQUIRE(eventually([&] {
    auto result = admin_client(running.admin_port).Get("/metrics");
    text = result ? result->body : "";
    // The server's figures and the route's are read one after the other.
    return text.find(count_line) != std::string::npos &&
           text.find("flexilib_requests_total{status_class=\"2xx\"} 3") != std::string::npos;
  }));
  INFO(text);
  auto result = admin_client(running.admin_port).Get("/metrics");
  REQUIRE(result);
  CHECK(result->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0);
  CHECK(text.find("# TYPE flexilib_route_ttfb_seconds histogram") != std::string::npos);
  CHECK(text.find("flexilib_route_ttfb_seconds_bucket{route=\"/c\",le=\"+Inf\"} 3") !=
        std::string::npos);
  CHECK(text.find("flexilib_route_ttlb_seconds_count{route=\"/c\"} 3") != std::string::npos);
  CHECK(text.find("flexilib_requests_total{status_class=\"2xx\"} 3") != std::string::npos);
  CHECK(text.find("flexilib_process_resident_memory_bytes ") != std::string::npos);
  CHECK(text.find("flexilib_process_private_memory_bytes ") != std::string::npos);
}

TEST_CASE("admin: a Host that is not loopback gets 403", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  auto client = admin_client(running.admin_port);
  for (const char *host : {"evil.example.com", "attacker.com:8070", "10.1.2.3"}) {
    INFO(host);
    auto result = client.Get("/stats", {{"Host", host}});
    REQUIRE(result);
    CHECK(result->status == 403);
    CHECK(body_of(result)["error"].get<std::string>().find("Host") != std::string::npos);
  }
  auto local = client.Get("/healthz", {{"Host", "localhost:1234"}});
  REQUIRE(local);
  CHECK(local->status == 200);
}

TEST_CASE("admin: a POST from a foreign Origin gets 403 and changes nothing", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, "/c = " + test_library("counter") + "\n");
  dir.write_file("proxy.ini",
                 "/c = " + test_library("counter") + "\n/d = " + test_library("counter") + "\n");
  auto client = admin_client(running.admin_port);

  auto refused = client.Post("/reload", {{"Origin", "https://evil.example.com"}}, "", "text/plain");
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(body_of(refused)["error"].get<std::string>().find("Origin") != std::string::npos);
  CHECK(get_json(running.admin_port, "/routes")["routes"].size() == 1);

  auto local = client.Post("/reload", {{"Origin", "http://localhost:8070"}}, "", "text/plain");
  REQUIRE(local);
  CHECK(local->status == 200);
  CHECK(get_json(running.admin_port, "/routes")["routes"].size() == 2);
}

TEST_CASE("admin: an unknown path gets 404 and a wrong method 405 with Allow", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config());
  auto client = admin_client(running.admin_port);

  auto unknown = client.Get("/nothing");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(body_of(unknown)["error"].get<std::string>().find("/nothing") != std::string::npos);

  auto post_stats = client.Post("/stats", "", "text/plain");
  REQUIRE(post_stats);
  CHECK(post_stats->status == 405);
  CHECK(post_stats->get_header_value("Allow") == "GET, HEAD");
  CHECK(body_of(post_stats).contains("error"));

  auto get_reload = client.Get("/reload");
  REQUIRE(get_reload);
  CHECK(get_reload->status == 405);
  CHECK(get_reload->get_header_value("Allow") == "POST");

  auto delete_routes = client.Delete("/routes");
  REQUIRE(delete_routes);
  CHECK(delete_routes->status == 405);
}

TEST_CASE("admin: with ADMIN_TOKEN every request needs the Bearer token", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config(), {{"ADMIN_TOKEN", "s3cret"}});
  auto client = admin_client(running.admin_port);

  auto none = client.Get("/healthz");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(none->get_header_value("WWW-Authenticate").find("Bearer") == 0);
  CHECK(body_of(none).contains("error"));

  auto wrong = client.Get("/healthz", {{"Authorization", "Bearer s3cre"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  auto right = client.Get("/healthz", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(right);
  CHECK(right->status == 200);
}

TEST_CASE("admin: a non-loopback address is refused at start without a token", "[admin]") {
  TempDir dir;
  dir.write_file("proxy.ini", counter_config());
  ServerProcess server({dir.path(), {}, {{"ADMIN_PORT", "0"}, {"ADMIN_ADDRESS", "0.0.0.0"}}});
  CHECK_FALSE(server.start(200ms));
  const auto exit_status = server.wait_exit();
  REQUIRE(exit_status);
  CHECK(WIFEXITED(*exit_status));
  CHECK(WEXITSTATUS(*exit_status) != 0);
  CHECK(server.stderr_text().find("ADMIN_ADDRESS=0.0.0.0 is not a loopback address") !=
        std::string::npos);
}

TEST_CASE("admin: a port another process listens on is refused at start", "[admin]") {
  // Hold a port the way another server would.
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr *>(&address), length) == 0);
  REQUIRE(::listen(holder, 1) == 0);
  REQUIRE(::getsockname(holder, reinterpret_cast<sockaddr *>(&address), &length) == 0);
  const std::string port = std::to_string(ntohs(address.sin_port));

  TempDir dir;
  dir.write_file("proxy.ini", counter_config());
  ServerProcess server({dir.path(), {}, {{"ADMIN_PORT", port}}});
  CHECK_FALSE(server.start(200ms));
  const auto exit_status = server.wait_exit();
  ::close(holder);
  REQUIRE(exit_status);
  CHECK(WIFEXITED(*exit_status));
  CHECK(WEXITSTATUS(*exit_status) != 0);
  CHECK(server.stderr_text().find("admin: cannot listen on 127.0.0.1:" + port) !=
        std::string::npos);
}

TEST_CASE("admin: a non-loopback address is served with a token", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, counter_config(),
                                  {{"ADMIN_ADDRESS", "0.0.0.0"}, {"ADMIN_TOKEN", "s3cret"}});
  auto result =
      admin_client(running.admin_port).Get("/healthz", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("admin: answers while every serving thread sleeps in a slow handler", "[admin]") {
  TempDir dir;
  auto running = start_with_admin(dir, "/ = " + example_library() + "\n",
                                  {{"SERVER_THREAD_COUNT", "2"}, {"STAND_IN_AFTER_MS", "0"}});
  const int port = running.server->port();
  const auto slow_request = [port] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10);
    auto result = client.Get("/", {{"x-slow", "3000"}});
    return result ? result->status : -1;
  };
  const auto started = std::chrono::steady_clock::now();
  auto first = std::async(std::launch::async, slow_request);
  auto second = std::async(std::launch::async, slow_request);

  // Both threads are asleep once a quick request to the main port goes unanswered.
  REQUIRE(eventually([port] {
    return raw_request(port, "GET /?probe HTTP/1.1\r\nConnection: close\r\n\r\n", 300ms).empty();
  }));

  auto admin = admin_client(running.admin_port);
  admin.set_read_timeout(1);
  const auto asked = std::chrono::steady_clock::now();
  auto health = admin.Get("/healthz");
  const auto answered = std::chrono::steady_clock::now();
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(answered - asked < 1s);
  // The slow requests were still being served when the admin endpoint answered.
  CHECK(answered - started < 3s);
  CHECK(first.wait_for(0s) == std::future_status::timeout);

  CHECK(first.get() == 200);
  CHECK(second.get() == 200);
}
