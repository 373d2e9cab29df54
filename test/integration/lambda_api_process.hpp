// A flexilib started with its Lambda Invoke API on a free port (LAMBDA_API_PORT=0),
// for the Invoke API's tests with cpp-httplib and with AWS's own clients.
#pragma once

#include "test/integration/server_process.hpp"

#include <regex>
#include <stdexcept>

namespace flexilib::test {

struct LambdaApiProcess {
  std::unique_ptr<ServerProcess> server;
  int api_port = 0;
};

inline LambdaApiProcess start_with_lambda_api(const TempDir &dir, const std::string &config,
                                              std::map<std::string, std::string> env = {}) {
  env.emplace("LAMBDA_API_PORT", "0");
  LambdaApiProcess running{start_server(dir, config, env)};
  static const std::regex api_line("lambda api listening on \\S+:(\\d+)$");
  const auto line = running.server->wait_for_stderr(
      [](const std::string &text) { return std::regex_search(text, api_line); });
  if (!line) throw std::runtime_error("no Lambda API; stderr:\n" + running.server->stderr_text());
  std::smatch match;
  std::regex_search(*line, match, api_line);
  running.api_port = std::stoi(match[1]);
  return running;
}

} // namespace flexilib::test
