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

  // Limits on what a client may send or hold (see usage_text for each).
  size_t max_body_bytes = 10 * 1024 * 1024;    // MAX_BODY_KB
  size_t max_head_bytes = 16 * 1024;           // MAX_HEADER_KB
  size_t max_header_count = 100;               // MAX_HEADER_COUNT
  int read_timeout_ms = 5000;                  // READ_TIMEOUT_MS
  int write_timeout_ms = 5000;                 // WRITE_TIMEOUT_MS
  int keep_alive_seconds = 5;                  // KEEPALIVE_TIMEOUT_S
  size_t max_connections = 10000;              // MAX_CONNECTIONS
  size_t client_buffer_bytes = 64 << 20;       // CLIENT_BUFFERS_MB
  size_t client_spill_bytes = size_t(1) << 30; // CLIENT_SPILL_MB
  size_t recent_requests = 1000;               // ADMIN_RECENT_REQUESTS: the admin ring
  int shutdown_timeout_ms = 10000;             // SHUTDOWN_TIMEOUT_MS
  int handler_timeout_ms = 30000;              // HANDLER_TIMEOUT_MS
  int upstream_connect_timeout_ms = 2000;      // UPSTREAM_CONNECT_TIMEOUT_MS
  int upstream_read_timeout_ms = 30000;        // UPSTREAM_READ_TIMEOUT_MS
  bool supervise = true;                       // SUPERVISOR=off runs without one

  // The admin endpoint (admin/): loopback only unless a token guards it.
  std::string admin_address = "127.0.0.1"; // ADMIN_ADDRESS
  std::optional<int> admin_port = 8070;    // ADMIN_PORT; "off": none, 0 picks a free port
  std::string admin_token;                 // ADMIN_TOKEN; empty: no token required

  // The AWS Lambda Invoke API (faas/lambda_api_server): off unless a port is given.
  std::string lambda_api_address = "127.0.0.1"; // LAMBDA_API_ADDRESS
  std::optional<int> lambda_api_port;           // LAMBDA_API_PORT; 0 picks a free port

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
