// For the tests of handlers in other languages: the requests that show FlexiLib's
// example library's behaviour, and the answer a server gives to each, so that an
// example in Zig or Rust can be checked against the C example request for request.
#pragma once

#include "test/integration/server_process.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace flexilib::test {

struct ExampleRequest {
  std::string name;
  httplib::Headers headers;
};

// Every behaviour of FlexiLib's example library (see executors/example.c).
inline std::vector<ExampleRequest> example_requests() {
  return {{"plain", {{"X-One", "1"}}},
          {"iam", {{"Host", "iam.example.com"}}},
          {"status", {{"x-status", "418"}}},
          {"log-this", {{"x-log-this", "hello"}}},
          {"slow", {{"x-slow", "20"}}},
          {"throw", {{"x-throw", "1"}}},
          {"throw with status", {{"x-throw", "1"}, {"x-status", "503"}}}};
}

// What the client saw: status, body and the headers a library controls.
inline std::string answer_to(ServerProcess &server, const std::string &path,
                             const ExampleRequest &request) {
  auto response = client_for(server).Get(path, request.headers);
  if (!response) return "no response";
  return std::to_string(response->status) + " [" + response->body +
         "] x-custom-foo=" + response->get_header_value("X-custom-foo") +
         " content-type=" + response->get_header_value("Content-Type");
}

} // namespace flexilib::test
