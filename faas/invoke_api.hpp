// The AWS Lambda Invoke API's wire format, as AWS documents it and its SDKs read it:
// which function `POST /2015-03-31/functions/{FunctionName}/invocations` names, the
// invocation type, and the answers in AWS's shapes (function errors, service errors,
// the log tail). Pure functions of their inputs, unit-tested; the listener that
// serves them is lambda_api_server.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flexilib::faas {

// The account every ARN and event of this server names (as in API Gateway's events).
constexpr std::string_view simulated_account_id = "123456789012";

// The {FunctionName} of "/2015-03-31/functions/{FunctionName}/invocations" (the path
// already percent-decoded); nothing for any other path.
std::optional<std::string_view> invocation_path_function(std::string_view path);

struct FunctionReference {
  std::string name;
  std::string qualifier; // a version or alias; empty when none was given
};

// A FunctionName in any form the SDKs accept: "name", "name:qualifier",
// "123456789012:function:name[:qualifier]" or
// "arn:aws:lambda:region:123456789012:function:name[:qualifier]". Nothing when the
// text is none of these.
std::optional<FunctionReference> parse_function_reference(std::string_view text);

enum class InvocationType { request_response, event, dry_run };

// X-Amz-Invocation-Type: absent or "RequestResponse", "Event", "DryRun"; nothing for
// any other value.
std::optional<InvocationType> parse_invocation_type(std::string_view header);

// The region a request was signed for, from its SigV4 Authorization header
// ("AWS4-HMAC-SHA256 Credential=KEY/20261202/eu-west-1/lambda/aws4_request, ...");
// "us-east-1" when it names none.
std::string signing_region(std::string_view authorization);

// "arn:aws:lambda:<region>:123456789012:function:<name>[:<qualifier>]"
std::string function_arn(std::string_view region, const FunctionReference &function);

// A service error as Lambda answers it: the status, the x-amzn-ErrorType header the
// SDKs take the error code from, and a body {"Type":"User","message":"..."}.
struct ServiceError {
  int status = 400;
  std::string type; // "ResourceNotFoundException"...
  std::string message;
};
std::string service_error_body(const ServiceError &error);

// The payload of a function error (answered 200 with X-Amz-Function-Error: Unhandled):
// {"errorMessage":"...","errorType":"..."}.
std::string function_error_payload(std::string_view type, std::string_view message);

// X-Amz-Log-Result: the last 4 KB of the invocation's log, base64-encoded.
constexpr size_t log_tail_bytes = 4096;
std::string log_tail(std::string_view log);

} // namespace flexilib::faas
