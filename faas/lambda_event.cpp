// Building the payload 2.0 event and mapping the function's result, as API Gateway
// HTTP APIs do (AWS's "Working with AWS Lambda proxy integrations for HTTP APIs").
#include "faas/lambda_event.hpp"

#include "faas/base64.hpp"
#include "http/hex_digit.hpp"
#include "http/token.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <ctime>
#include <map>

namespace flexilib::faas {

namespace {

using Json = nlohmann::ordered_json; // AWS's documented field order, for readable output

// %XX decoding; a '%' not followed by two hex digits stays as sent. '+' stays '+':
// API Gateway decodes percent-escapes only.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const int high =
        i + 2 < text.size() && text[i] == '%' ? http::hex_digit_value(text[i + 1]) : -1;
    const int low = high >= 0 ? http::hex_digit_value(text[i + 2]) : -1;
    if (low < 0) {
      decoded += text[i];
      continue;
    }
    decoded += char(high * 16 + low);
    i += 2;
  }
  return decoded;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char &c : lower)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return lower;
}

// Valid UTF-8 without control bytes other than tab, CR and LF: sent as text; anything
// else is base64-encoded with isBase64Encoded true, as API Gateway does for binary.
bool is_text(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const auto lead = uint8_t(bytes[i]);
    if (lead < 0x80) {
      if ((lead < 0x20 && lead != '\t' && lead != '\r' && lead != '\n') || lead == 0x7f)
        return false;
      ++i;
      continue;
    }
    const size_t length = lead >= 0xf0 && lead < 0xf5   ? 4
                          : lead >= 0xe0 && lead < 0xf0 ? 3
                          : lead >= 0xc2 && lead < 0xe0 ? 2
                                                        : 0;
    if (length == 0 || i + length > bytes.size()) return false;
    for (size_t k = 1; k < length; ++k)
      if ((uint8_t(bytes[i + k]) & 0xc0) != 0x80) return false;
    i += length;
  }
  return true;
}

// "a=1&a=2&b" -> {"a": "1,2", "b": ""}: repeated keys joined with commas.
Json query_parameters(std::string_view query) {
  Json parameters = Json::object();
  while (!query.empty()) {
    const size_t ampersand = query.find('&');
    const std::string_view pair = query.substr(0, ampersand);
    query.remove_prefix(ampersand == std::string_view::npos ? query.size() : ampersand + 1);
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, equals));
    const std::string value =
        equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1));
    if (parameters.contains(key))
      parameters[key] = parameters[key].get<std::string>() + "," + value;
    else
      parameters[key] = value;
  }
  return parameters;
}

// Cookie header values split on "; ", in order, over every Cookie header.
void add_cookies(std::string_view value, Json &cookies) {
  while (!value.empty()) {
    const size_t separator = value.find("; ");
    if (separator != 0) cookies.push_back(std::string(value.substr(0, separator)));
    value.remove_prefix(separator == std::string_view::npos ? value.size() : separator + 2);
  }
}

std::string host_without_port(std::string_view host) {
  if (host.starts_with('[')) return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.find(':')));
}

struct Headers {
  Json fields = Json::object();
  Json cookies = Json::array();
  std::string host, user_agent;
};

Headers collect_headers(const HttpRequestView &request) {
  Headers headers;
  for (const auto &[raw_name, value] : request.headers) {
    const std::string name = lowercase(raw_name);
    if (name == "cookie") {
      add_cookies(value, headers.cookies);
      continue;
    }
    if (name == "host" && headers.host.empty()) headers.host = host_without_port(value);
    if (name == "user-agent" && headers.user_agent.empty()) headers.user_agent = value;
    if (headers.fields.contains(name))
      headers.fields[name] = headers.fields[name].get<std::string>() + "," + std::string(value);
    else
      headers.fields[name] = std::string(value);
  }
  return headers;
}

std::string header_value_text(const nlohmann::json &value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The server frames every response itself, as API Gateway does.
bool is_framing_header(std::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "transfer-encoding" ||
         lower_name == "connection";
}

HttpResponseParts unusable(std::string why) {
  HttpResponseParts parts;
  parts.error = std::move(why);
  return parts;
}

// A result without statusCode: API Gateway's "assumed" response.
HttpResponseParts bare_body(std::string_view result, const nlohmann::json &parsed) {
  HttpResponseParts parts;
  parts.headers.emplace_back("content-type", "application/json");
  parts.body = parsed.is_string() ? parsed.get<std::string>() : std::string(result);
  return parts;
}

} // namespace

std::string api_gateway_time(int64_t epoch_ms) {
  const std::time_t seconds = std::time_t(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%d/%b/%Y:%H:%M:%S +0000", &utc);
  return text;
}

std::string build_lambda_event(const HttpRequestView &request, const EventStamp &stamp) {
  const size_t question = request.target.find('?');
  const std::string_view path = request.target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : request.target.substr(question + 1);
  Headers headers = collect_headers(request);
  const std::string domain = headers.host.empty() ? "localhost" : headers.host;
  const std::string domain_prefix = domain.substr(0, domain.find('.'));

  Json event = {
      {"version", "2.0"}, {"routeKey", "$default"}, {"rawPath", path}, {"rawQueryString", query}};
  if (!headers.cookies.empty()) event["cookies"] = std::move(headers.cookies);
  event["headers"] = std::move(headers.fields);
  if (!query.empty()) event["queryStringParameters"] = query_parameters(query);
  event["requestContext"] = {{"accountId", "123456789012"},
                             {"apiId", domain_prefix},
                             {"domainName", domain},
                             {"domainPrefix", domain_prefix},
                             {"http",
                              {{"method", request.method},
                               {"path", path},
                               {"protocol", request.protocol},
                               {"sourceIp", request.source_ip},
                               {"userAgent", headers.user_agent}}},
                             {"requestId", stamp.request_id},
                             {"routeKey", "$default"},
                             {"stage", "$default"},
                             {"time", api_gateway_time(stamp.time_epoch_ms)},
                             {"timeEpoch", stamp.time_epoch_ms}};
  const bool text_body = is_text(request.body);
  if (!request.body.empty())
    event["body"] = text_body ? std::string(request.body) : base64_encode(request.body);
  event["isBase64Encoded"] = !text_body;
  // HTTP allows header values (obs-text) and percent-escapes that are not UTF-8, which
  // JSON cannot carry: such bytes become U+FFFD, as they do in API Gateway's events,
  // instead of failing the request. The body never needs it: it is base64 unless text.
  return event.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HttpResponseParts map_lambda_result(std::string_view result) {
  const nlohmann::json parsed = nlohmann::json::parse(result, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("statusCode"))
    return bare_body(result, parsed);
  const nlohmann::json &status = parsed["statusCode"];
  if (!status.is_number_integer() || status.get<int64_t>() < 100 || status.get<int64_t>() > 599)
    return unusable("statusCode " + status.dump() + " is not an HTTP status");
  HttpResponseParts parts;
  parts.status = status.get<int>();
  if (const auto headers = parsed.find("headers"); headers != parsed.end()) {
    if (!headers->is_object()) return unusable("headers is not an object");
    for (const auto &[name, value] : headers->items()) {
      if (!http::is_token(name)) return unusable("header name \"" + name + "\" is not a token");
      if (!is_framing_header(lowercase(name)))
        parts.headers.emplace_back(lowercase(name), header_value_text(value));
    }
  }
  if (const auto cookies = parsed.find("cookies"); cookies != parsed.end()) {
    if (!cookies->is_array()) return unusable("cookies is not an array");
    for (const nlohmann::json &cookie : *cookies)
      parts.headers.emplace_back("set-cookie", header_value_text(cookie));
  }
  for (const auto &[name, value] : parts.headers)
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return unusable("the value of " + name + " holds a CR, LF or NUL");
  const auto body = parsed.find("body");
  const std::string body_text = body == parsed.end() ? "" : header_value_text(*body);
  const auto base64 = parsed.find("isBase64Encoded");
  if (base64 != parsed.end() && !base64->is_boolean())
    return unusable("isBase64Encoded is not true or false");
  if (base64 == parsed.end() || !base64->get<bool>()) {
    parts.body = body_text;
    return parts;
  }
  if (!base64_decode(body_text, parts.body)) return unusable("body is not valid base64");
  return parts;
}

} // namespace flexilib::faas
