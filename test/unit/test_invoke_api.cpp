// Unit tests of the Invoke API's wire format: the FunctionName forms the SDKs send,
// the invocation types, the signing region, and AWS's error and log-tail shapes.
#include "faas/base64.hpp"
#include "faas/invoke_api.hpp"
#include "faas/lambda_invocation.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace flexilib::faas;
using nlohmann::json;

TEST_CASE("invoke api: only the Invoke path names a function", "[faas][invoke]") {
  CHECK(invocation_path_function("/2015-03-31/functions/api/invocations") == "api");
  CHECK(invocation_path_function("/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:"
                                 "function:api:$LATEST/invocations") ==
        "arn:aws:lambda:eu-west-1:123456789012:function:api:$LATEST");
  for (const char *path :
       {"/2015-03-31/functions//invocations", "/2015-03-31/functions/api", "/2015-03-31/functions/",
        "/2015-03-31/functions/a/b/invocations", "/2015-03-31/functions/api/invocations/",
        "/2016-01-01/functions/api/invocations", "/"})
    CHECK_FALSE(invocation_path_function(path).has_value());
}

TEST_CASE("invoke api: a function is named, with or without a qualifier, as the SDKs do",
          "[faas][invoke]") {
  struct Case {
    const char *text, *name, *qualifier;
  };
  for (const Case &c :
       {Case{"api", "api", ""}, Case{"api:$LATEST", "api", "$LATEST"},
        Case{"api:live", "api", "live"}, Case{"123456789012:function:api", "api", ""},
        Case{"123456789012:function:api:7", "api", "7"},
        Case{"arn:aws:lambda:eu-west-1:123456789012:function:api", "api", ""},
        Case{"arn:aws:lambda:us-east-1:123456789012:function:flexilib-lambda_x:"
             "$LATEST",
             "flexilib-lambda_x", "$LATEST"}}) {
    INFO(c.text);
    const auto reference = parse_function_reference(c.text);
    REQUIRE(reference);
    CHECK(reference->name == c.name);
    CHECK(reference->qualifier == c.qualifier);
  }
  for (const char *text : {"", ":", "api:", "api:$NEWEST", "a b", "api:1:2",
                           "arn:aws:lambda:eu-west-1:123456789012:function:", "name/with/slash",
                           "arn:aws:lambda:eu-west-1:123456789012:function:api:1:2"}) {
    INFO(text);
    CHECK_FALSE(parse_function_reference(text).has_value());
  }
  CHECK_FALSE(parse_function_reference(std::string(65, 'a')).has_value());
}

TEST_CASE("invoke api: invocation types are AWS's three, RequestResponse by default",
          "[faas][invoke]") {
  CHECK(parse_invocation_type("") == InvocationType::request_response);
  CHECK(parse_invocation_type("RequestResponse") == InvocationType::request_response);
  CHECK(parse_invocation_type("Event") == InvocationType::event);
  CHECK(parse_invocation_type("DryRun") == InvocationType::dry_run);
  CHECK_FALSE(parse_invocation_type("event").has_value());
  CHECK_FALSE(parse_invocation_type("Async").has_value());
}

TEST_CASE("invoke api: the region comes from the SigV4 credential scope", "[faas][invoke]") {
  CHECK(signing_region("AWS4-HMAC-SHA256 Credential=test/20261202/eu-west-1/lambda/aws4_request, "
                       "SignedHeaders=host;x-amz-date, Signature=abc") == "eu-west-1");
  CHECK(signing_region("") == "us-east-1");
  CHECK(signing_region("Bearer x") == "us-east-1");
  CHECK(signing_region("AWS4-HMAC-SHA256 Credential=test/20261202") == "us-east-1");
  CHECK(signing_region("AWS4-HMAC-SHA256 Credential=k/d/\"x\":{}/lambda/aws4_request") ==
        "us-east-1");
  CHECK(function_arn("eu-west-1", {"api", ""}) ==
        "arn:aws:lambda:eu-west-1:123456789012:function:api");
  CHECK(function_arn("us-east-1", {"api", "3"}) ==
        "arn:aws:lambda:us-east-1:123456789012:function:api:3");
}

TEST_CASE("invoke api: errors in AWS's shapes", "[faas][invoke]") {
  CHECK(service_error_body({404, "ResourceNotFoundException", "Function not found: arn"}) ==
        R"({"Type":"User","message":"Function not found: arn"})");
  CHECK(function_error_payload("Sandbox.Timedout", "Task \"timed\" out") ==
        R"({"errorMessage":"Task \"timed\" out","errorType":"Sandbox.Timedout"})");
  // Bytes that are not UTF-8 (a library's error text) still make valid JSON.
  CHECK_NOTHROW(json::parse(function_error_payload("Runtime.ImportModuleError", "\xff\xfe")));
}

TEST_CASE("invoke api: the log tail is the last 4 KB, base64", "[faas][invoke]") {
  std::string decoded;
  REQUIRE(base64_decode(log_tail("START\nEND\n"), decoded));
  CHECK(decoded == "START\nEND\n");
  const std::string log = std::string(5000, 'a') + std::string(4095, 'b') + "\n";
  decoded.clear();
  REQUIRE(base64_decode(log_tail(log), decoded));
  CHECK(decoded.size() == log_tail_bytes);
  CHECK(decoded == log.substr(log.size() - 4096));
}

TEST_CASE("invoke api: a function is named as its context's function_name", "[faas][invoke]") {
  CHECK(lambda_function_name("/srv/build/executors/libflexilib-lambda-example.so") ==
        "flexilib-lambda-example");
  CHECK(lambda_function_name("api.so") == "api");
  CHECK(lambda_function_name("/x/libapi.so.1") == "api");
}
