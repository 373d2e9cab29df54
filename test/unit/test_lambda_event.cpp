// Golden tests of the FaaS simulation's pure parts: the API Gateway v2.0 event, the
// mapping of a function's result, Lambda's log lines, route targets and Cloudflare's
// headers.
#include "faas/cloudflare.hpp"
#include "faas/lambda_event.hpp"
#include "faas/lambda_report.hpp"
#include "faas/route_profile.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

using namespace flexilib::faas;
using nlohmann::json;

namespace {

// 2020-03-12T19:03:58.000Z, the time of AWS's own example event.
constexpr int64_t example_epoch_ms = 1584039838000;

json event_for(const HttpRequestView &request) {
  return json::parse(build_lambda_event(request, {"JKJaXmPLvHcESHA=", example_epoch_ms}));
}

HttpRequestView get(std::string_view target) {
  return {"GET", target, "HTTP/1.1", "192.0.2.7", {}, {{"Host", "api.example.com:8069"}}};
}

} // namespace

TEST_CASE("lambda event: a GET with cookies, repeated headers and repeated query keys") {
  HttpRequestView request =
      get("/my/p%20ath?parameter1=value1&parameter1=value2&p%26=a%20b+c&flag");
  request.headers.emplace_back("User-Agent", "curl/8.0");
  request.headers.emplace_back("Cookie", "cookie1=a; cookie2=b");
  request.headers.emplace_back("X-Multi", "one");
  request.headers.emplace_back("x-multi", "two");
  request.headers.emplace_back("cookie", "cookie3=c");

  const json expected = json::parse(R"({
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/my/p%20ath",
    "rawQueryString": "parameter1=value1&parameter1=value2&p%26=a%20b+c&flag",
    "cookies": ["cookie1=a", "cookie2=b", "cookie3=c"],
    "headers": {"host": "api.example.com:8069", "user-agent": "curl/8.0", "x-multi": "one,two"},
    "queryStringParameters": {"parameter1": "value1,value2", "p&": "a b+c", "flag": ""},
    "requestContext": {
      "accountId": "123456789012",
      "apiId": "api",
      "domainName": "api.example.com",
      "domainPrefix": "api",
      "http": {"method": "GET", "path": "/my/p%20ath", "protocol": "HTTP/1.1",
               "sourceIp": "192.0.2.7", "userAgent": "curl/8.0"},
      "requestId": "JKJaXmPLvHcESHA=",
      "routeKey": "$default",
      "stage": "$default",
      "time": "12/Mar/2020:19:03:58 +0000",
      "timeEpoch": 1584039838000
    },
    "isBase64Encoded": false
  })");
  CHECK(event_for(request) == expected);
}

TEST_CASE("lambda event: no query string and no cookies leave those fields out") {
  const json event = event_for(get("/"));
  CHECK(event["rawQueryString"] == "");
  CHECK_FALSE(event.contains("queryStringParameters"));
  CHECK_FALSE(event.contains("cookies"));
  CHECK_FALSE(event.contains("body"));
  CHECK(event["requestContext"]["http"]["userAgent"] == "");
}

TEST_CASE("lambda event: a text body is sent as is, a binary one base64-encoded") {
  HttpRequestView request = get("/upload");
  request.method = "POST";
  request.body = "{\"name\": \"caf\xc3\xa9\"}\n";
  json event = event_for(request);
  CHECK(event["body"] == "{\"name\": \"caf\xc3\xa9\"}\n");
  CHECK(event["isBase64Encoded"] == false);
  CHECK(event["requestContext"]["http"]["method"] == "POST");

  const std::string binary("\x00\x01\x02\xff", 4);
  request.body = binary;
  event = event_for(request);
  CHECK(event["body"] == "AAEC/w==");
  CHECK(event["isBase64Encoded"] == true);
  request.body = "ab\xff"; // not UTF-8
  CHECK(event_for(request)["body"] == "YWL/");
}

TEST_CASE("lambda event: bytes that are not UTF-8 in headers and the query become U+FFFD") {
  // obs-text in a header value is legal HTTP, and %E9 decodes to a lone Latin-1 byte:
  // neither can go into JSON as it is, and neither may fail the request.
  HttpRequestView request = get("/p?name=caf%E9&ok=caf%C3%A9");
  request.headers.emplace_back("X-Latin", "caf\xe9");
  request.headers.emplace_back("Cookie", "c=\xff\xfe");
  request.headers.emplace_back("User-Agent", "agent\x80");
  const std::string replaced = "caf\xef\xbf\xbd"; // U+FFFD in UTF-8
  const json event = event_for(request);
  CHECK(event["headers"]["x-latin"] == replaced);
  CHECK(event["cookies"] == json::array({"c=\xef\xbf\xbd\xef\xbf\xbd"}));
  CHECK(event["requestContext"]["http"]["userAgent"] == "agent\xef\xbf\xbd");
  CHECK(event["queryStringParameters"]["name"] == replaced);
  CHECK(event["queryStringParameters"]["ok"] == "caf\xc3\xa9"); // valid UTF-8 stays
  CHECK(event["rawQueryString"] == "name=caf%E9&ok=caf%C3%A9");
}

TEST_CASE("lambda event: time is API Gateway's format") {
  CHECK(api_gateway_time(example_epoch_ms) == "12/Mar/2020:19:03:58 +0000");
  CHECK(api_gateway_time(0) == "01/Jan/1970:00:00:00 +0000");
}

TEST_CASE("lambda response: status, headers and cookies become the HTTP response") {
  const HttpResponseParts parts = map_lambda_result(R"({"statusCode": 201,
      "headers": {"Content-Type": "text/plain", "X-Count": 3, "Content-Length": "999"},
      "cookies": ["a=1; Path=/", "b=2"], "body": "hello"})");
  CHECK(parts.error.empty());
  CHECK(parts.status == 201);
  CHECK(parts.body == "hello");
  using Headers = std::vector<std::pair<std::string, std::string>>;
  CHECK(parts.headers == Headers{{"content-type", "text/plain"},
                                 {"x-count", "3"},
                                 {"set-cookie", "a=1; Path=/"},
                                 {"set-cookie", "b=2"}});
}

TEST_CASE("lambda response: a base64 body is decoded") {
  const HttpResponseParts parts =
      map_lambda_result(R"({"statusCode": 200, "body": "AAEC/w==", "isBase64Encoded": true})");
  CHECK(parts.error.empty());
  CHECK(parts.body == std::string("\x00\x01\x02\xff", 4));
  CHECK_FALSE(
      map_lambda_result(R"({"statusCode":200,"body":"!!","isBase64Encoded":true})").error.empty());
}

TEST_CASE("lambda response: a result without statusCode is a 200 JSON body") {
  HttpResponseParts parts = map_lambda_result(R"("Hello from Lambda!")");
  CHECK(parts.status == 200);
  CHECK(parts.body == "Hello from Lambda!");
  CHECK(parts.headers ==
        std::vector<std::pair<std::string, std::string>>{{"content-type", "application/json"}});
  parts = map_lambda_result(R"({"message": "hi"})");
  CHECK(parts.status == 200);
  CHECK(parts.body == R"({"message": "hi"})");
  parts = map_lambda_result("plain text, not JSON");
  CHECK(parts.status == 200);
  CHECK(parts.body == "plain text, not JSON");
}

TEST_CASE("lambda response: unusable results are refused") {
  CHECK_FALSE(map_lambda_result(R"({"statusCode": "200"})").error.empty());
  CHECK_FALSE(map_lambda_result(R"({"statusCode": 99})").error.empty());
  CHECK_FALSE(map_lambda_result(R"({"statusCode": 200, "headers": []})").error.empty());
  CHECK_FALSE(map_lambda_result(R"({"statusCode": 200, "headers": {"a b": "1"}})").error.empty());
  CHECK_FALSE(
      map_lambda_result(R"({"statusCode": 200, "headers": {"x": "1\r\nEvil: 1"}})").error.empty());
  CHECK_FALSE(map_lambda_result(R"({"statusCode": 200, "cookies": "a=1"})").error.empty());
}

TEST_CASE("lambda report: START, END and REPORT lines in Lambda's format") {
  const std::string id = "8f507cfc-9e4b-4b4c-8f1a-2d0e1b4f5c6d";
  CHECK(start_line(id) == "START RequestId: " + id + " Version: $LATEST");
  CHECK(end_line(id) == "END RequestId: " + id);
  InvocationReport report{id, 12.345, 128, 35, {}, false};
  CHECK(report_line(report) == "REPORT RequestId: " + id +
                                   "\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
                                   "Memory Size: 128 MB\tMax Memory Used: 35 MB\t");
  report.init_duration_ms = 4.5;
  CHECK(report_line(report).ends_with("Max Memory Used: 35 MB\tInit Duration: 4.50 ms\t"));
  report.timed_out = true;
  CHECK(report_line(report).ends_with("\tStatus: timeout"));
  CHECK(timeout_line(example_epoch_ms + 7, id, 3000) ==
        "2020-03-12T19:03:58.007Z " + id + " Task timed out after 3.00 seconds");
}

TEST_CASE("lambda report: billed duration rounds up to the millisecond, at least 1 ms") {
  CHECK(billed_duration_ms(0.01) == 1);
  CHECK(billed_duration_ms(1.0) == 1);
  CHECK(billed_duration_ms(1.001) == 2);
  CHECK(billed_duration_ms(2999.5) == 3000);
}

TEST_CASE("lambda report: request ids are version 4 UUIDs") {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::string first = random_request_id();
  CHECK(std::regex_match(first, uuid));
  CHECK(first != random_request_id());
}

TEST_CASE("route profile: targets with and without a provider") {
  ProfileParse parsed = parse_route_profile("build/libx.so");
  CHECK(parsed.profile.provider == Provider::none);
  CHECK(parsed.profile.library == "build/libx.so");
  CHECK_FALSE(names_provider("build/libx.so"));

  parsed = parse_route_profile("lambda:build/libx.so");
  CHECK(parsed.error.empty());
  CHECK(parsed.profile.provider == Provider::lambda);
  CHECK(parsed.profile.library == "build/libx.so");
  CHECK(parsed.profile.timeout_ms == 3000);
  CHECK(parsed.profile.memory_mb == 128);

  parsed = parse_route_profile("lambda:libx.so?timeout_ms=250&memory_mb=1024");
  CHECK(parsed.error.empty());
  CHECK(parsed.profile.timeout_ms == 250);
  CHECK(parsed.profile.memory_mb == 1024);

  parsed = parse_route_profile("cloudflare:liby.so?cpu_ms=50");
  CHECK(parsed.error.empty());
  CHECK(parsed.profile.provider == Provider::cloudflare);
  CHECK(parsed.profile.library == "liby.so");
  CHECK(parsed.profile.cpu_ms == 50);
  CHECK(parse_route_profile("cloudflare:liby.so").profile.cpu_ms == 10);
}

TEST_CASE("route profile: bad settings are refused with a reason") {
  CHECK_THAT(parse_route_profile("lambda:").error, Catch::Contains("names no library"));
  CHECK_THAT(parse_route_profile("lambda:x.so?timeout_ms=0").error,
             Catch::Contains("timeout_ms \"0\""));
  CHECK_THAT(parse_route_profile("lambda:x.so?memory_mb=64").error, Catch::Contains("memory_mb"));
  CHECK_THAT(parse_route_profile("lambda:x.so?cpu_ms=5").error,
             Catch::Contains("unknown setting \"cpu_ms\""));
  CHECK_THAT(parse_route_profile("cloudflare:x.so?cpu_ms=abc").error, Catch::Contains("cpu_ms"));
}

TEST_CASE("cloudflare: the edge headers a Worker sees") {
  const auto headers = cloudflare_headers("192.0.2.7");
  REQUIRE(headers.size() == 5);
  CHECK(headers[0] == std::pair<std::string, std::string>{"CF-Connecting-IP", "192.0.2.7"});
  CHECK(std::regex_match(headers[1].second, std::regex("[0-9a-f]{16}-LOC")));
  CHECK(headers[2].second == "XX");
  CHECK(headers[3].second == R"({"scheme":"http"})");
  CHECK(headers[4] == std::pair<std::string, std::string>{"X-Forwarded-Proto", "http"});
  CHECK(is_cloudflare_header("cf-ray"));
  CHECK_FALSE(is_cloudflare_header("cf-rays"));
  CHECK_THAT(worker_limit_page("abc-LOC"),
             Catch::Contains("Error 1102") && Catch::Contains("Worker exceeded resource limits"));
}
