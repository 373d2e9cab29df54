// The Lambda Invoke API driven by AWS's own clients, Debian's aws-cli and boto3 (dummy
// credentials, retries off, --endpoint-url at the server): a result, a function
// error, a log tail and an unknown function, as a developer would see them. aws-cli
// takes about a second a call, so these are few and run once in CI ([heavy]).
#include "faas/base64.hpp"
#include "test/integration/lambda_api_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

using namespace flexilib::test;
using nlohmann::json;

namespace {

// Debian's own packages by path: a Python environment manager (pyenv, a venv) earlier
// in PATH may hold another aws or a python3 without boto3.
constexpr const char *aws_cli = "/usr/bin/aws";
constexpr const char *python = "/usr/bin/python3";

std::string functions_config() {
  return "/fn = lambda:" + test_library("lambda-behaviours") + "\n" +
         "/example = lambda:" + build_path("executors/libflexilib-lambda-example.so") + "\n";
}

std::string read_file(const std::string &path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

// Runs `command` under sh with AWS settings that owe nothing to this machine: dummy
// credentials, one attempt, no config files, no pager, no instance metadata.
CommandResult run_client(const TempDir &dir, const std::string &command) {
  const std::string environment = "env HOME=" + dir.path() +
                                  " AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
                                  " AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1"
                                  " AWS_RETRY_MODE=standard AWS_PAGER= AWS_CONFIG_FILE=/dev/null"
                                  " AWS_SHARED_CREDENTIALS_FILE=/dev/null"
                                  " AWS_EC2_METADATA_DISABLED=true ";
  const std::string err_file = dir.file("client-stderr.txt");
  const std::string line = environment + "timeout 60 " + command + " 2>" + err_file;
  CommandResult result;
  FILE *pipe = ::popen(line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    result.out.append(buffer, got);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_file(err_file);
  UNSCOPED_INFO("$ " << command << "\nexit " << result.exit_code << "\nstdout: " << result.out
                     << "\nstderr: " << result.err);
  return result;
}

std::string aws_invoke(const LambdaApiProcess &running, const std::string &arguments) {
  return std::string(aws_cli) +
         " lambda invoke --endpoint-url http://127.0.0.1:" + std::to_string(running.api_port) +
         " " + arguments;
}

} // namespace

TEST_CASE("lambda api, aws-cli: invoke gets the result, a function error, a tail and a 404",
          "[lambda-api][heavy]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());

  CommandResult run = run_client(
      dir, aws_invoke(running, "--function-name flexilib-lambda-example --payload '{\"a\":1}'"
                               " --cli-binary-format raw-in-base64-out --log-type Tail " +
                                   dir.file("result.json")));
  REQUIRE(run.exit_code == 0);
  json printed = json::parse(run.out);
  CHECK(printed["StatusCode"] == 200);
  CHECK(printed["ExecutedVersion"] == "$LATEST");
  CHECK_FALSE(printed.contains("FunctionError"));
  std::string log;
  REQUIRE(flexilib::faas::base64_decode(printed["LogResult"].get<std::string>(), log));
  CHECK(log.starts_with("START RequestId: "));
  CHECK(log.find("\nREPORT RequestId: ") != std::string::npos);
  const json result = json::parse(read_file(dir.file("result.json")));
  CHECK(result["headers"]["x-function"] == "flexilib-lambda-example");
  CHECK(json::parse(result["body"].get<std::string>())["eventBytes"] == 7);

  run = run_client(dir, aws_invoke(running, "--function-name lambda-behaviours --payload "
                                            "'{\"rawPath\":\"/null\"}' --cli-binary-format "
                                            "raw-in-base64-out " +
                                                dir.file("error.json")));
  REQUIRE(run.exit_code == 0);
  printed = json::parse(run.out);
  CHECK(printed["StatusCode"] == 200);
  CHECK(printed["FunctionError"] == "Unhandled");
  CHECK(json::parse(read_file(dir.file("error.json")))["errorType"] ==
        "Runtime.HandlerReturnedNull");

  run = run_client(dir, aws_invoke(running, "--function-name nope " + dir.file("none.json")));
  CHECK(run.exit_code == 254); // aws-cli's "the service answered an error"
  CHECK(run.err.find("An error occurred (ResourceNotFoundException) when calling the Invoke "
                     "operation") != std::string::npos);
  CHECK(run.err.find("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope") !=
        std::string::npos);
}

TEST_CASE("lambda api, boto3: invoke with every invocation type, a function error and a 404",
          "[lambda-api][heavy]") {
  TempDir dir;
  auto running = start_with_lambda_api(dir, functions_config());
  // The script prints what boto3 returned as JSON; the checks are here.
  dir.write_file("invoke.py", R"(import base64, json, sys
import boto3, botocore.config
client = boto3.client("lambda", endpoint_url="http://127.0.0.1:" + sys.argv[1],
                      region_name="eu-west-1", aws_access_key_id="test",
                      aws_secret_access_key="test",
                      config=botocore.config.Config(retries={"total_max_attempts": 1}))
seen = {}
r = client.invoke(FunctionName="flexilib-lambda-example", Payload=b'{"a":1}', LogType="Tail")
seen["result"] = {"status": r["StatusCode"], "version": r["ExecutedVersion"],
                  "error": r.get("FunctionError"), "payload": json.loads(r["Payload"].read()),
                  "log": base64.b64decode(r["LogResult"]).decode()}
r = client.invoke(FunctionName="lambda-behaviours", Payload=b'{"rawPath":"/null"}')
seen["error"] = {"status": r["StatusCode"], "error": r.get("FunctionError"),
                 "payload": json.loads(r["Payload"].read())}
r = client.invoke(FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:lambda-behaviours",
                  InvocationType="Event", Payload=b'{"rawPath":"/event"}')
seen["event"] = r["StatusCode"]
r = client.invoke(FunctionName="lambda-behaviours", InvocationType="DryRun")
seen["dry_run"] = r["StatusCode"]
try:
    client.invoke(FunctionName="nope", Payload=b"{}")
    seen["missing"] = "no exception"
except client.exceptions.ResourceNotFoundException as error:
    seen["missing"] = {"code": error.response["Error"]["Code"],
                       "message": error.response["Error"]["Message"],
                       "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps(seen))
)");
  const CommandResult run = run_client(dir, std::string(python) + " " + dir.file("invoke.py") +
                                                " " + std::to_string(running.api_port));
  REQUIRE(run.exit_code == 0);
  const json seen = json::parse(run.out);
  INFO(seen.dump(2));
  CHECK(seen["result"]["status"] == 200);
  CHECK(seen["result"]["version"] == "$LATEST");
  CHECK(seen["result"]["error"].is_null());
  CHECK(seen["result"]["payload"]["headers"]["x-function"] == "flexilib-lambda-example");
  CHECK(seen["result"]["log"].get<std::string>().starts_with("START RequestId: "));
  CHECK(seen["error"]["status"] == 200);
  CHECK(seen["error"]["error"] == "Unhandled");
  CHECK(seen["error"]["payload"]["errorMessage"] ==
        "lambda_handler returned NULL (an unhandled error)");
  CHECK(seen["event"] == 202);
  CHECK(seen["dry_run"] == 204);
  CHECK(seen["missing"]["code"] == "ResourceNotFoundException");
  CHECK(seen["missing"]["status"] == 404);
  CHECK(seen["missing"]["message"] ==
        "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:nope");
}
