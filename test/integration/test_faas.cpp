// Integration tests of the FaaS simulation: Lambda routes (event round trip, response
// mapping, timeout, payload limits, START/END/REPORT lines, cold and warm starts) and
// Cloudflare routes (edge headers, CPU-time limit), through a real server.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

using namespace flexilib::test;
using nlohmann::json;

namespace {

std::string lambda_route(const std::string &settings = "") {
  return "/fn = lambda:" + test_library("lambda-behaviours") + settings + "\n";
}

bool stderr_has(ServerProcess &server, const std::string &text) {
  return server
      .wait_for_stderr(
          [&](const std::string &line) { return line.find(text) != std::string::npos; })
      .has_value();
}

std::vector<std::string> lines_starting(const ServerProcess &server, const std::string &prefix) {
  std::vector<std::string> found;
  for (const std::string &line : server.stderr_lines())
    if (line.starts_with(prefix)) found.push_back(line);
  return found;
}

} // namespace

TEST_CASE("lambda: the request arrives as an API Gateway v2.0 event", "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route());
  httplib::Headers headers{{"Cookie", "session=abc; theme=dark"}, {"X-Trace", "t1"}};
  auto response = client_for(*server).Post("/fn/event?a=1&a=2&q=caf%C3%A9", headers, "hello body",
                                           "text/plain");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("Content-Type") == "application/json");
  const json event = json::parse(response->body);
  CHECK(event["version"] == "2.0");
  CHECK(event["routeKey"] == "$default");
  CHECK(event["rawPath"] == "/fn/event");
  CHECK(event["rawQueryString"] == "a=1&a=2&q=caf%C3%A9");
  CHECK(event["queryStringParameters"] == json{{"a", "1,2"}, {"q", "caf\xc3\xa9"}});
  CHECK(event["cookies"] == json{"session=abc", "theme=dark"});
  CHECK_FALSE(event["headers"].contains("cookie"));
  CHECK(event["headers"]["x-trace"] == "t1");
  CHECK(event["headers"]["content-type"] == "text/plain");
  CHECK(event["body"] == "hello body");
  CHECK(event["isBase64Encoded"] == false);
  const json &http = event["requestContext"]["http"];
  CHECK(http["method"] == "POST");
  CHECK(http["path"] == "/fn/event");
  CHECK(http["protocol"] == "HTTP/1.1");
  CHECK(http["sourceIp"] == "127.0.0.1");
  CHECK(event["requestContext"]["stage"] == "$default");
  CHECK(event["requestContext"]["timeEpoch"].is_number_integer());
}

TEST_CASE("lambda: header bytes that are not UTF-8 reach the function as U+FFFD",
          "[faas][lambda]") {
  // obs-text (here Latin-1 \xe9) is legal in a header value; JSON cannot carry it.
  TempDir dir;
  auto server = start_server(dir, lambda_route());
  const std::string answer =
      raw_request(server->port(), "GET /fn/event?q=caf%E9 HTTP/1.1\r\nHost: x\r\n"
                                  "X-Latin: caf\xe9\r\nConnection: close\r\n\r\n");
  REQUIRE(answer.rfind("HTTP/1.1 200 ", 0) == 0);
  const json event = json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
  CHECK(event["headers"]["x-latin"] == "caf\xef\xbf\xbd");
  CHECK(event["queryStringParameters"]["q"] == "caf\xef\xbf\xbd");
  CHECK(event["rawQueryString"] == "q=caf%E9");
}

TEST_CASE("lambda: a binary request body is base64-encoded in the event", "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route());
  const std::string binary("\x00\x01\x02\xff", 4);
  auto response = client_for(*server).Post("/fn/event", binary, "application/octet-stream");
  REQUIRE(response);
  const json event = json::parse(response->body);
  CHECK(event["body"] == "AAEC/w==");
  CHECK(event["isBase64Encoded"] == true);
}

TEST_CASE("lambda: the function's result becomes the HTTP response", "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route());
  auto client = client_for(*server);

  auto binary = client.Get("/fn/binary");
  REQUIRE(binary);
  CHECK(binary->status == 201);
  CHECK(binary->body == std::string("\x00\x01\x02\xff", 4));
  CHECK(binary->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(binary->get_header_value_count("Set-Cookie") == 2);
  CHECK(std::regex_match(
      binary->get_header_value("x-request-id"),
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")));

  auto bare = client.Get("/fn/string");
  REQUIRE(bare);
  CHECK(bare->status == 200);
  CHECK(bare->body == "just a string");
  CHECK(bare->get_header_value("Content-Type") == "application/json");

  auto failed = client.Get("/fn/null");
  REQUIRE(failed);
  CHECK(failed->status == 500);
  CHECK(failed->body == R"({"message":"Internal Server Error"})");
}

TEST_CASE("lambda: a function past its timeout gets API Gateway's 503 and Task timed out",
          "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route("?timeout_ms=50"));
  auto response = client_for(*server).Get("/fn/sleep?ms=200");
  REQUIRE(response);
  CHECK(response->status == 503);
  CHECK(response->body == R"({"message":"Service Unavailable"})");
  CHECK(stderr_has(*server, " Task timed out after 0.05 seconds"));
  CHECK(stderr_has(*server, "\tDuration: 50.00 ms\tBilled Duration: 50 ms\t"));
  CHECK(stderr_has(*server, "Status: timeout"));

  auto quick = client_for(*server).Get("/fn/sleep?ms=0");
  REQUIRE(quick);
  CHECK(quick->status == 200);
  CHECK(quick->body == "done");
}

// [heavy]: Release only (scripts/test.sh): making and moving 6 MB through the sanitizers
// outlasts the 3 s Lambda timeout and the client's 5 s on a loaded machine.
TEST_CASE("lambda: 6 MB payload limits on the event and on the result", "[faas][lambda][heavy]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route());
  auto client = client_for(*server);
  auto too_big = client.Post("/fn/event", std::string(6 * 1024 * 1024, 'a'), "text/plain");
  REQUIRE(too_big);
  CHECK(too_big->status == 413);
  CHECK(too_big->body == R"({"message":"Request Entity Too Large"})");

  auto big_result = client.Get("/fn/big?bytes=6291456");
  REQUIRE(big_result);
  CHECK(big_result->status == 502);
  CHECK(stderr_has(*server, "exceeds Lambda's 6291456-byte payload limit"));

  auto fits = client.Get("/fn/big?bytes=1000");
  REQUIRE(fits);
  CHECK(fits->status == 200);
  CHECK(fits->body == std::string(1000, 'x'));
}

TEST_CASE("lambda: START, END and REPORT per invocation, Init Duration on the cold one only",
          "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(dir, lambda_route("?memory_mb=256"), {{"ADMIN_PORT", "0"}});
  const int admin_port = server->announced_port("admin");
  auto client = client_for(*server);
  for (int i = 0; i < 2; ++i) {
    auto response = client.Get("/fn/sleep?ms=0");
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  REQUIRE(eventually([&] { return lines_starting(*server, "REPORT RequestId: ").size() == 2; }));
  const auto starts = lines_starting(*server, "START RequestId: ");
  const auto ends = lines_starting(*server, "END RequestId: ");
  const auto reports = lines_starting(*server, "REPORT RequestId: ");
  REQUIRE(starts.size() == 2);
  REQUIRE(ends.size() == 2);
  const std::regex report_format(
      "REPORT RequestId: ([0-9a-f-]{36})\tDuration: \\d+\\.\\d\\d ms\tBilled Duration: \\d+ ms\t"
      "Memory Size: 256 MB\tMax Memory Used: \\d+ MB\t(Init Duration: \\d+\\.\\d\\d ms\t)?");
  std::smatch cold, warm;
  REQUIRE(std::regex_match(reports[0], cold, report_format));
  REQUIRE(std::regex_match(reports[1], warm, report_format));
  CHECK(cold[2].matched);
  CHECK_FALSE(warm[2].matched);
  CHECK(starts[0] == "START RequestId: " + cold[1].str() + " Version: $LATEST");
  CHECK(ends[0] == "END RequestId: " + cold[1].str());

  // The admin figures say the same: profile, cold then warm, billed duration.
  httplib::Client admin("127.0.0.1", admin_port);
  json requests;
  REQUIRE(eventually([&] {
    auto result = admin.Get("/requests?limit=2");
    if (!result) return false;
    requests = json::parse(result->body)["requests"];
    return requests.size() == 2;
  }));
  CHECK(requests[0]["profile"] == "lambda");
  // Two serving threads record in whichever order they finish: look at both.
  CHECK(requests[0]["cold"] != requests[1]["cold"]);
  CHECK(requests[0]["billed_ms"].get<int>() >= 1);
  CHECK(requests[1]["billed_ms"].get<int>() >= 1);
}

TEST_CASE("lambda: a route to a library without lambda_handler gets 502", "[faas][lambda]") {
  TempDir dir;
  auto server =
      start_server(dir, "/fn = lambda:" + build_path("executors/libflexilib-example.so") + "\n");
  auto response = client_for(*server).Get("/fn");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(stderr_has(*server, "does not export lambda_handler"));
}

TEST_CASE("lambda: the C example answers from its context", "[faas][lambda]") {
  TempDir dir;
  auto server = start_server(
      dir, "/lambda = lambda:" + build_path("executors/libflexilib-lambda-example.so") + "\n");
  auto response = client_for(*server).Get("/lambda");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->get_header_value("x-function") == "flexilib-lambda-example");
  CHECK(response->get_header_value("Set-Cookie").starts_with("last_request="));
  const json body = json::parse(response->body);
  CHECK(body["message"] == "hello from lambda");
  CHECK(body["memoryMB"] == 128);
  CHECK(body["remainingMs"].get<int>() > 0);
}

TEST_CASE("cloudflare: a Worker sees Cloudflare's edge headers, not the client's copies",
          "[faas][cloudflare]") {
  TempDir dir;
  auto server =
      start_server(dir, "/w = cloudflare:" + build_path("executors/libflexilib-json-example.so") +
                            "?cpu_ms=5000\n");
  auto response = client_for(*server).Get("/w", {{"CF-Connecting-IP", "203.0.113.9"}});
  REQUIRE(response);
  CHECK(response->status == 200);
  INFO(response->body);
  std::multimap<std::string, std::string> seen;
  const json body = json::parse(response->body);
  for (const json &header : body["headers"])
    seen.emplace(header["name"].get<std::string>(), header["value"].get<std::string>());
  REQUIRE(seen.count("CF-Connecting-IP") == 1);
  CHECK(seen.find("CF-Connecting-IP")->second == "127.0.0.1");
  REQUIRE(seen.count("CF-Ray") == 1);
  REQUIRE(seen.count("CF-IPCountry") == 1);
  REQUIRE(seen.count("CF-Visitor") == 1);
  REQUIRE(seen.count("X-Forwarded-Proto") == 1);
  CHECK(std::regex_match(seen.find("CF-Ray")->second, std::regex("[0-9a-f]{16}-LOC")));
  CHECK(seen.find("CF-IPCountry")->second == "XX");
  CHECK(seen.find("CF-Visitor")->second == R"({"scheme":"http"})");
  CHECK(seen.find("X-Forwarded-Proto")->second == "http");
}

TEST_CASE("cloudflare: a request over its CPU-time limit gets error 1102", "[faas][cloudflare]") {
  TempDir dir;
  auto server =
      start_server(dir, "/burn = cloudflare:" + test_library("cpu-burner") + "?cpu_ms=20\n");
  auto client = client_for(*server);
  auto over = client.Get("/burn?ms=100");
  REQUIRE(over);
  CHECK(over->status == 503);
  CHECK(over->body.find("Error 1102") != std::string::npos);
  CHECK(over->body.find("Worker exceeded resource limits") != std::string::npos);
  CHECK(stderr_has(*server, "over cpu_ms=20"));

  auto under = client.Get("/burn?ms=0");
  REQUIRE(under);
  CHECK(under->status == 200);
  CHECK(under->body == "burned\n");
  // A 503 is the Worker's answer, not a refusal of the request: the connection goes on.
  const std::string both = raw_request(server->port(), "GET /burn?ms=100 HTTP/1.1\r\n\r\n"
                                                       "GET /burn?ms=0 HTTP/1.1\r\n"
                                                       "Connection: close\r\n\r\n");
  CHECK(both.starts_with("HTTP/1.1 503 "));
  CHECK(both.find("burned\n") != std::string::npos);
}

TEST_CASE("faas: invalid provider settings are refused with their line", "[faas]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/fn = lambda:x.so?timeout_ms=soon\n");
  ServerProcess check({dir.path(), {"--check", dir.file("proxy.ini")}, {}});
  REQUIRE(check.launch());
  REQUIRE(check.wait_exit());
  CHECK(check.stderr_text().find(":1: the target \"lambda:x.so?timeout_ms=soon\" timeout_ms") !=
        std::string::npos);
}
