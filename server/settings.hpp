// The server's settings: command line and environment, validated once at start.
// An invalid value is refused with a message naming the variable, never guessed at.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace flexilib::server {

struct Settings {
  std::string listen_address = "0.0.0.0"; // LISTEN_ADDRESS
  int port = 8069;                        // PORT; 0 picks a free port
  size_t thread_count = 1;                // SERVER_THREAD_COUNT
  size_t preallocation_bytes = 8 * 1024;  // RESPONSE_PREALLOCATION_KB
  std::string config_path = "proxy.ini";  // first non-option argument

  enum class Mode { serve, check, help, version } mode = Mode::serve;
};

// Looks an environment variable up; nullptr when unset. Injected for tests.
using EnvLookup = std::function<const char *(const char *name)>;

struct SettingsResult {
  Settings settings;
  std::vector<std::string> errors; // one line per problem; empty when valid
};

// `cpu_count` is the default thread count; a debug build caps it at 4.
SettingsResult parse_settings(const std::vector<std::string> &args, const EnvLookup &env,
                              size_t cpu_count, bool debug_build);

// The text --help prints.
std::string usage_text();

} // namespace flexilib::server
