// What the unit tests that drive a RequestPipeline over one socket pair share: the
// test libraries' paths, a proxy.ini in a file of its own, and small limits.
#pragma once

#include "server/request_pipeline.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace flexilib::test {

inline std::string test_library(const std::string &name) {
  return std::string(FLEXILIB_BUILD_DIR) + "/test/libraries/lib" + name + ".so";
}

// A proxy.ini in its own file (named after the test and the process), removed at the end.
struct ConfigFile {
  std::string path;
  ConfigFile(const std::string &test, const std::string &text)
      : path(std::string(FLEXILIB_BUILD_DIR) + "/test/unit-" + test + "-" +
             std::to_string(::getpid()) + ".ini") {
    std::ofstream(path) << text;
  }
  ~ConfigFile() { std::remove(path.c_str()); }
  ConfigFile(const ConfigFile &) = delete;
  ConfigFile &operator=(const ConfigFile &) = delete;
};

// Limits small enough for a test to reach; `wait_ms` bounds reads and writes.
inline server::PipelineLimits small_limits(int wait_ms) {
  server::PipelineLimits limits;
  limits.max_head_bytes = 1024;
  limits.framing = {100, 64 * 1024};
  limits.keep_alive_seconds = 5;
  limits.timeouts = {wait_ms, wait_ms};
  limits.client_buffer_bytes = 1 << 20;
  limits.client_spill_bytes = 1 << 20;
  return limits;
}

} // namespace flexilib::test
