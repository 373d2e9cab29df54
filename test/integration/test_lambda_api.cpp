// Integration tests of the Lambda Invoke API (LAMBDA_API_PORT) with a plain HTTP
// client: the raw event in and the raw result out, function errors, AWS's service
// errors, Event and DryRun, the log tail, the figures, and the port's settings. The
// same server is tested with aws-cli and boto3 in test_lambda_api_clients.cpp.
#include "faas/base64.hpp"
#include "test/integration/lambda_api_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flexilib::test;
using nlohmann::json;

namespace {

// lambda-behaviours as "lambda-behaviours", the example as "flexilib-lambda-example".
std::string functions_config(const std::string &behaviour_settings = "") {
  return "/fn = lambda:" + test_library("lambda-behaviours") + behaviour_settings + "\n" +
         "/example = lambda:" + build_path("executors/libflexilib-lambda-example.so") + "\n" +
         "/plain = " + build_path("executors/libflexilib-example.so") + "\n";
}

httplib::Client api_client(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  client.set_write_timeout(10);
  return client;
}

std::string invocations(const std::string &function) {
  return "/2015-03-31/functions/" + function + "/invocations";
}

httplib::Result invoke(int port, const std::string &function, const std::string &event,
                       httplib::Headers headers = {}) {
  return api_client(port).Post(invocations(function).c_str(), headers, event, "application/json");
}

size_t count_lines_starting(const ServerProcess &server, const std::string &prefix) {
  size_t count = 0;
  for (const std::string &line : server.stderr_lines())
    count += line.starts_with(prefix);
  return count;
}

void check_service_error(const httplib::Result &result, int status, const std::string &type) {
  REQUIRE(result);
  INFO(result->body);
  CHECK(result->status == status);
  CHECK(result->get_header_value("x-amzn-ErrorType") == type);
  CHECK(result->get_header_value("Content-Type") == "application/json");
  const json body = json::parse(result->body);
  CHECK(body["Type"] == "User");
  CHECK(body["message"].is_string());
}

} // namespace

TEST_CASE("lambda api: the event reaches lambda_handler unchanged and its result comes back raw",
          "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  // The behaviours library answers an event whose rawPath ends in /event with the
  // event itself: byte for byte what was sent, spacing and key order included.
  const std::string event = R"({ "rawPath" : "/event", "z": [1, 2.50, "\u00e9"], "a":{} })";
  auto result = invoke(running.api_port, "lambda-behaviours", event);
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == event);
  CHECK(result->get_header_value("Content-Type") == "application/json");
  CHECK(result->get_header_value("X-Amz-Executed-Version") == "$LATEST");
  CHECK_FALSE(result->has_header("X-Amz-Function-Error"));
  CHECK_FALSE(result->has_header("X-Amz-Log-Result"));
  // The invocation is Lambda's: its request id is the one of its START and REPORT lines.
  const std::string request_id = result->get_header_value("x-amzn-RequestId");
  REQUIRE(request_id.size() == 36);
  CHECK(running.server->wait_for_stderr([&](const std::string &line) {
    return line.starts_with("REPORT RequestId: " + request_id) &&
           line.find("Init Duration") != std::string::npos; // the library's first request
  }));
  CHECK(count_lines_starting(*running.server, "START RequestId: " + request_id) == 1);

  // The example reads its context: function_name is the name the client called.
  result = invoke(running.api_port, "flexilib-lambda-example", "{}");
  REQUIRE(result);
  CHECK(result->status == 200);
  const json answer = json::parse(result->body);
  CHECK(answer["headers"]["x-function"] == "flexilib-lambda-example");
  CHECK(json::parse(answer["body"].get<std::string>())["eventBytes"] == 2);
}

TEST_CASE("lambda api: a request without a body is an empty event", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  // As `curl -X POST` sends it: no Content-Length at all.
  const std::string response = raw_request(
      running.api_port, "POST " + invocations("flexilib-lambda-example") +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  INFO(response);
  CHECK(response.starts_with("HTTP/1.1 200 "));
  CHECK(response.find("\\\"eventBytes\\\":0}") != std::string::npos);
}

TEST_CASE("lambda api: a handler error is a 200 with X-Amz-Function-Error and AWS's error object",
          "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config("?timeout_ms=100"));
  auto result = invoke(running.api_port, "lambda-behaviours", R"({"rawPath":"/null"})");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("X-Amz-Function-Error") == "Unhandled");
  CHECK(result->get_header_value("X-Amz-Executed-Version") == "$LATEST");
  json error = json::parse(result->body);
  CHECK(error["errorType"] == "Runtime.HandlerReturnedNull");
  CHECK(error["errorMessage"] == "lambda_handler returned NULL (an unhandled error)");

  // Past timeout_ms: Lambda's timeout error, and the REPORT line says so.
  result = invoke(running.api_port, "lambda-behaviours",
                  R"({"rawPath":"/sleep","queryStringParameters":{"ms":"300"}})");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("X-Amz-Function-Error") == "Unhandled");
  error = json::parse(result->body);
  CHECK(error["errorType"] == "Sandbox.Timedout");
  CHECK(error["errorMessage"].get<std::string>().ends_with(
      result->get_header_value("x-amzn-RequestId") + " Task timed out after 0.10 seconds"));
  CHECK(running.server->wait_for_stderr([](const std::string &line) {
    return line.starts_with("REPORT ") && line.ends_with("Status: timeout");
  }));
}

TEST_CASE("lambda api: a result over Lambda's 6 MB limit is a function error", "[lambda-api]") {
  TempDir dir;
  // Building 6 MB of JSON can take seconds in a sanitizer build: no timeout here.
  auto running = start_with_lambda_api(dir, functions_config("?timeout_ms=60000"));
  auto result = invoke(running.api_port, "lambda-behaviours",
                       R"({"rawPath":"/big","queryStringParameters":{"bytes":"6291457"}})");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("X-Amz-Function-Error") == "Unhandled");
  CHECK(json::parse(result->body)["errorType"] == "Function.ResponseSizeTooLarge");
  CHECK(result->body.size() < 1000);
}

TEST_CASE("lambda api: a library that cannot serve is a function error naming why",
          "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(
      dir, "/counter = lambda:" + test_library("counter") + "\n" +
               "/broken = lambda:" + build_path("test/libraries/not-a-library.so") + "\n");
  auto result = invoke(running.api_port, "counter", "{}");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("X-Amz-Function-Error") == "Unhandled");
  CHECK(json::parse(result->body)["errorType"] == "Runtime.HandlerNotFound");
  result = invoke(running.api_port, "not-a-library", "{}");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("X-Amz-Function-Error") == "Unhandled");
  const json error = json::parse(result->body);
  CHECK(error["errorType"] == "Runtime.ImportModuleError");
  CHECK(error["errorMessage"].get<std::string>().find("not-a-library.so") != std::string::npos);
  CHECK(result->get_header_value("x-amzn-RequestId").size() == 36);
}

TEST_CASE("lambda api: functions are named by ARN, partial ARN and $LATEST too", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  for (const std::string name :
       {"flexilib-lambda-example:$LATEST", "123456789012:function:flexilib-lambda-example",
        "arn:aws:lambda:eu-west-1:123456789012:function:flexilib-lambda-example",
        "arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Aflexilib-lambda-example%3A%24"
        "LATEST"}) {
    INFO(name);
    auto result = invoke(running.api_port, name, "{}");
    REQUIRE(result);
    CHECK(result->status == 200);
  }
  auto result = api_client(running.api_port)
                    .Post((invocations("flexilib-lambda-example") + "?Qualifier=%24LATEST").c_str(),
                          "{}", "application/json");
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("lambda api: an unknown function is AWS's ResourceNotFoundException", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  auto result = invoke(running.api_port, "nope", "{}");
  check_service_error(result, 404, "ResourceNotFoundException");
  CHECK(json::parse(result->body)["message"] ==
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");
  // The ARN names the region the client signed for.
  result = invoke(running.api_port, "nope", "{}",
                  {{"Authorization", "AWS4-HMAC-SHA256 Credential=test/20261202/eu-west-1/lambda/"
                                     "aws4_request, SignedHeaders=host, Signature=0"}});
  check_service_error(result, 404, "ResourceNotFoundException");
  CHECK(json::parse(result->body)["message"] ==
        "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope");
  // No version or alias exists but $LATEST; a route that is not lambda: is no function.
  check_service_error(invoke(running.api_port, "flexilib-lambda-example:3", "{}"), 404,
                      "ResourceNotFoundException");
  check_service_error(
      api_client(running.api_port)
          .Post((invocations("flexilib-lambda-example") + "?Qualifier=live").c_str(), "{}",
                "application/json"),
      404, "ResourceNotFoundException");
  check_service_error(invoke(running.api_port, "flexilib-example", "{}"), 404,
                      "ResourceNotFoundException");
  CHECK(count_lines_starting(*running.server, "START ") == 0);
}

TEST_CASE("lambda api: what is not an invocation is refused in AWS's shape", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  auto client = api_client(running.api_port);
  check_service_error(client.Get(invocations("flexilib-lambda-example").c_str()), 404,
                      "UnknownOperationException");
  check_service_error(client.Post("/2015-03-31/functions", "{}", "application/json"), 404,
                      "UnknownOperationException");
  check_service_error(invoke(running.api_port, "flexilib-lambda-example", "{}",
                             {{"X-Amz-Invocation-Type", "Sometimes"}}),
                      400, "ValidationException");
  check_service_error(
      invoke(running.api_port, "flexilib-lambda-example", "{}", {{"X-Amz-Log-Type", "Everything"}}),
      400, "ValidationException");
  check_service_error(invoke(running.api_port, "bad%20name", "{}"), 400, "ValidationException");
  // Lambda's 6 MB payload limit, before anything runs.
  check_service_error(
      invoke(running.api_port, "flexilib-lambda-example", std::string(6 * 1024 * 1024 + 1, ' ')),
      413, "RequestEntityTooLargeException");
  // A request cpp-httplib cannot parse.
  const std::string garbage = raw_request(running.api_port, "NOT HTTP\r\n\r\n");
  INFO(garbage);
  CHECK(garbage.starts_with("HTTP/1.1 400 "));
  CHECK(garbage.find("x-amzn-ErrorType: InvalidRequestContentException") != std::string::npos);
  CHECK(count_lines_starting(*running.server, "START ") == 0);
  // The port still serves.
  auto result = invoke(running.api_port, "flexilib-lambda-example", "{}");
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("lambda api: Event is answered 202 and then run, DryRun 204 and not run",
          "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  auto result = invoke(running.api_port, "lambda-behaviours", R"({"rawPath":"/null"})",
                       {{"X-Amz-Invocation-Type", "DryRun"}});
  REQUIRE(result);
  CHECK(result->status == 204);
  CHECK(result->body.empty());

  // The handler sleeps 300 ms: the 202 comes before it has run.
  result = invoke(running.api_port, "lambda-behaviours",
                  R"({"rawPath":"/sleep","queryStringParameters":{"ms":"300"}})",
                  {{"X-Amz-Invocation-Type", "Event"}});
  REQUIRE(result);
  CHECK(result->status == 202);
  CHECK(result->body.empty());
  CHECK(count_lines_starting(*running.server, "REPORT ") == 0);
  CHECK(running.server->wait_for_stderr(
      [](const std::string &line) { return line.starts_with("REPORT "); }));
  CHECK(count_lines_starting(*running.server, "START ") == 1); // the Event, not the DryRun
}

TEST_CASE("lambda api: X-Amz-Log-Type Tail returns the invocation's log lines", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  auto result = invoke(running.api_port, "lambda-behaviours", R"({"rawPath":"/null"})",
                       {{"X-Amz-Log-Type", "Tail"}});
  REQUIRE(result);
  const std::string id = result->get_header_value("x-amzn-RequestId");
  std::string log;
  REQUIRE(flexilib::faas::base64_decode(result->get_header_value("X-Amz-Log-Result"), log));
  INFO(log);
  CHECK(log.starts_with(
      "START RequestId: " + id + " Version: $LATEST\n" + id +
      " ERROR lambda_handler returned NULL (an unhandled error)\nEND RequestId: " + id +
      "\nREPORT RequestId: " + id + "\tDuration: "));
  CHECK(log.ends_with("\n"));
  CHECK(std::count(log.begin(), log.end(), '\n') == 4);
}

TEST_CASE("lambda api: invocations count in the admin figures like requests", "[lambda-api]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config(), {{"ADMIN_PORT", "0"}});
  const int admin_port = running.server->announced_port("admin");

  auto result = invoke(running.api_port, "flexilib-lambda-example", "{}");
  REQUIRE(result);
  REQUIRE(result->status == 200);
  // Its access log line, as every request on the traffic port has.
  CHECK(running.server->wait_for_stdout([](const std::string &text) {
    return text.find("\"POST /2015-03-31/functions/flexilib-lambda-example/invocations "
                     "HTTP/1.1\" 200") != std::string::npos;
  }));
  json record;
  REQUIRE(eventually([&] {
    auto answer = api_client(admin_port).Get("/requests?limit=1");
    if (!answer || answer->status != 200) return false;
    const json records = json::parse(answer->body)["requests"];
    if (records.empty()) return false;
    record = records[0];
    return true;
  }));
  INFO(record.dump(2));
  CHECK(record["route"] == "/example");
  CHECK(record["profile"] == "lambda");
  CHECK(record["cold"] == true);
  CHECK(record["billed_ms"].get<int>() >= 1);
  CHECK(record["status"] == 200);
  CHECK(record["alloc_bytes"].get<int>() == 1024); // the example's flexilib_alloc, in its arena
  CHECK(record["target"] == "/2015-03-31/functions/flexilib-lambda-example/invocations");
  auto stats = api_client(admin_port).Get("/stats");
  REQUIRE(stats);
  INFO(stats->body);
  CHECK(stats->body.find("\"/example\"") != std::string::npos);
}

TEST_CASE("lambda api: off by default, and a taken port stops the server at start",
          "[lambda-api]") {
  TempDir dir;
  {
    auto server = start_server(dir, functions_config());
    CHECK(server->stderr_text().find("lambda api") == std::string::npos);
  }
  // Hold a port, then ask for it.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(holder >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
  REQUIRE(::listen(holder, 1) == 0);
  socklen_t length = sizeof address;
  ::getsockname(holder, reinterpret_cast<sockaddr *>(&address), &length);
  dir.write_file("proxy.ini", functions_config());
  ServerProcess server(
      {dir.path(), {}, {{"LAMBDA_API_PORT", std::to_string(ntohs(address.sin_port))}}});
  REQUIRE(server.launch());
  const auto status = server.wait_exit(10s);
  ::close(holder);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  CHECK(server.stderr_text().find("LAMBDA_API_PORT") != std::string::npos);
}

TEST_CASE("lambda api: the functions follow proxy.ini across a reload", "[lambda-api]") {
  TempDir dir;
  const std::string example =
      "/example = lambda:" + build_path("executors/libflexilib-lambda-example.so") + "\n";
  auto running = start_with_lambda_api(dir, example);
  check_service_error(invoke(running.api_port, "lambda-behaviours", R"({"rawPath":"/event"})"), 404,
                      "ResourceNotFoundException");
  dir.write_file("proxy.ini", example + "/fn = lambda:" + test_library("lambda-behaviours") + "\n");
  running.server->send_signal(SIGHUP);
  REQUIRE(running.server->wait_for_stderr(
      [](const std::string &line) { return line.find("applied: 2 rules") != std::string::npos; }));
  auto result = invoke(running.api_port, "lambda-behaviours", R"({"rawPath":"/event"})");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == R"({"rawPath":"/event"})");
}
