// A flexilib started with its Lambda Invoke API on a free port (LAMBDA_API_PORT=0),
// for the Invoke API's tests with cpp-httplib and with AWS's own clients.
#pragma once

#include "test/integration/server_process.hpp"

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
  running.api_port = running.server->announced_port("lambda api");
  return running;
}

} // namespace flexilib::test
