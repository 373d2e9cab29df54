// The server's settings: command line and environment, validated once at start.
// Every environment variable is one row of a table (settings.cpp): its name, default,
// bounds, help text and the field it fills. Parsing, --help and the test that the
// README lists the same variables all read that table, so a default cannot drift.
// An invalid value is refused with a message naming the variable, never guessed at.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::server {

// The values after parsing. The environment-driven fields get their defaults from
// the table, not from initializers here: see setting_rows().
struct Settings {
  std::string listen_address;            // LISTEN_ADDRESS
  int port = 0;                          // PORT; 0 picks a free port
  size_t thread_count = 0;               // SERVER_THREAD_COUNT
  size_t preallocation_bytes = 0;        // RESPONSE_PREALLOCATION_KB
  std::string config_path = "proxy.ini"; // first non-option argument

  // Limits on what a client may send or hold.
  size_t max_body_bytes = 0;           // MAX_BODY_KB
  size_t max_head_bytes = 0;           // MAX_HEADER_KB
  size_t max_header_count = 0;         // MAX_HEADER_COUNT
  int read_timeout_ms = 0;             // READ_TIMEOUT_MS
  int write_timeout_ms = 0;            // WRITE_TIMEOUT_MS
  int keep_alive_seconds = 0;          // KEEPALIVE_TIMEOUT_S
  size_t max_connections = 0;          // MAX_CONNECTIONS
  size_t client_buffer_bytes = 0;      // CLIENT_BUFFERS_MB
  size_t client_spill_bytes = 0;       // CLIENT_SPILL_MB
  size_t recent_requests = 0;          // ADMIN_RECENT_REQUESTS: the admin ring
  int shutdown_timeout_ms = 0;         // SHUTDOWN_TIMEOUT_MS
  int handler_timeout_ms = 0;          // HANDLER_TIMEOUT_MS
  int stand_in_after_ms = 0;           // STAND_IN_AFTER_MS
  int upstream_connect_timeout_ms = 0; // UPSTREAM_CONNECT_TIMEOUT_MS
  int upstream_read_timeout_ms = 0;    // UPSTREAM_READ_TIMEOUT_MS
  int upstream_fail_timeout_s = 0;     // UPSTREAM_FAIL_TIMEOUT_S
  size_t proxy_buffer_bytes = 0;       // PROXY_BUFFER_KB
  bool supervise = false;              // SUPERVISOR

  // The admin endpoint (admin/): loopback only unless a token guards it.
  std::string admin_address;     // ADMIN_ADDRESS
  std::optional<int> admin_port; // ADMIN_PORT; unset: "off"
  std::string admin_token;       // ADMIN_TOKEN; empty: no token required

  // The AWS Lambda Invoke API (faas/lambda_api_server): off unless a port is given.
  std::string lambda_api_address;     // LAMBDA_API_ADDRESS
  std::optional<int> lambda_api_port; // LAMBDA_API_PORT; unset: "off"

  enum class Mode { serve, check, help, version } mode = Mode::serve;
};

// Where --help lists a variable.
enum class SettingGroup { serving, admin, lambda_api, limits, upstreams, process };

// One environment variable. `default_text` is the default as the README and --help
// show it; unless `default_is_derived`, parsing applies it exactly as if the
// environment held it, so the shown default is the one in force.
struct SettingRow {
  std::string_view name;
  SettingGroup group;
  std::string_view default_text;
  std::string_view help;           // one line for --help; the README says more
  bool default_is_derived = false; // computed (thread count) or "none" (token)
  // A whole number in [min, max], handed to store; or, when read_text is set, any
  // text, which read_text checks and stores (an error message, empty when valid).
  long min = 0, max = 0;
  void (*store)(Settings &, long) = nullptr;
  std::string (*read_text)(Settings &, std::string_view) = nullptr;
};

// Every environment variable the server reads, in --help's order.
std::span<const SettingRow> setting_rows();

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
