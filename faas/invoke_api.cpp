// Parsing Invoke API requests and shaping its answers.
#include "faas/invoke_api.hpp"

#include "faas/base64.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <vector>

namespace flexilib::faas {

namespace {

constexpr std::string_view path_prefix = "/2015-03-31/functions/";
constexpr std::string_view path_suffix = "/invocations";

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Lambda's function names: letters, digits, hyphens and underscores, 1 to 64 of them;
// here also '.', which a library's file name may hold ("libapi.v2.so": "api.v2").
bool is_name(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool is_qualifier(std::string_view text) {
  return text == "$LATEST" || is_name(text);
}

} // namespace

std::optional<std::string_view> invocation_path_function(std::string_view path) {
  if (!path.starts_with(path_prefix) || !path.ends_with(path_suffix)) return {};
  if (path.size() <= path_prefix.size() + path_suffix.size()) return {};
  const std::string_view name =
      path.substr(path_prefix.size(), path.size() - path_prefix.size() - path_suffix.size());
  if (name.find('/') != std::string_view::npos) return {};
  return name;
}

std::optional<FunctionReference> parse_function_reference(std::string_view text) {
  const std::vector<std::string_view> parts = split(text, ':');
  size_t name_at = 0;
  if (parts.size() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function")
    name_at = 6; // arn:aws:lambda:region:account:function:name[:qualifier]
  else if (parts.size() >= 3 && parts[1] == "function")
    name_at = 2; // account:function:name[:qualifier]
  if (parts.size() > name_at + 2 || !is_name(parts[name_at])) return {};
  FunctionReference reference{std::string(parts[name_at]), {}};
  if (parts.size() == name_at + 2) {
    if (!is_qualifier(parts[name_at + 1])) return {};
    reference.qualifier = parts[name_at + 1];
  }
  return reference;
}

std::optional<InvocationType> parse_invocation_type(std::string_view header) {
  if (header.empty() || header == "RequestResponse") return InvocationType::request_response;
  if (header == "Event") return InvocationType::event;
  if (header == "DryRun") return InvocationType::dry_run;
  return {};
}

std::string signing_region(std::string_view authorization) {
  constexpr std::string_view credential = "Credential=";
  const size_t at = authorization.find(credential);
  if (at == std::string_view::npos) return "us-east-1";
  std::string_view scope = authorization.substr(at + credential.size());
  scope = scope.substr(0, scope.find_first_of(", "));
  const std::vector<std::string_view> parts = split(scope, '/'); // key/date/region/service/...
  if (parts.size() < 3 || parts[2].empty()) return "us-east-1";
  for (char c : parts[2]) // "eu-west-1": nothing else ends up in an ARN
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '-')
      return "us-east-1";
  return std::string(parts[2]);
}

std::string function_arn(std::string_view region, const FunctionReference &function) {
  std::string arn = "arn:aws:lambda:" + std::string(region) + ":" +
                    std::string(simulated_account_id) + ":function:" + function.name;
  if (!function.qualifier.empty()) arn += ":" + function.qualifier;
  return arn;
}

std::string service_error_body(const ServiceError &error) {
  return nlohmann::ordered_json{{"Type", "User"}, {"message", error.message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string function_error_payload(std::string_view type, std::string_view message) {
  return nlohmann::ordered_json{{"errorMessage", message}, {"errorType", type}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string log_tail(std::string_view log) {
  if (log.size() > log_tail_bytes) log.remove_prefix(log.size() - log_tail_bytes);
  return base64_encode(log);
}

} // namespace flexilib::faas
