// Parses the command line and the environment into Settings.
#include "server/settings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <string_view>

namespace flexilib::server {

namespace {

// A whole decimal number within [min, max]; anything else (signs, spaces, junk) is refused.
std::optional<long> parse_number(std::string_view text, long min, long max) {
  long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return {};
  if (value < min || value > max) return {};
  return value;
}

void read_number(const EnvLookup &env, const char *name, long min, long max,
                 std::vector<std::string> &errors, auto &&store) {
  const char *text = env(name);
  if (text == nullptr) return;
  if (auto value = parse_number(text, min, max)) {
    store(*value);
    return;
  }
  errors.push_back(std::string(name) + "=\"" + text + "\" is not a whole number from " +
                   std::to_string(min) + " to " + std::to_string(max));
}

void read_arguments(const std::vector<std::string> &args, Settings &settings,
                    std::vector<std::string> &errors) {
  bool have_config_path = false;
  for (const std::string &arg : args) {
    if (arg == "--help" || arg == "-h") {
      settings.mode = Settings::Mode::help;
    } else if (arg == "--version" || arg == "-v") {
      settings.mode = Settings::Mode::version;
    } else if (arg == "--check" || arg == "-t") {
      settings.mode = Settings::Mode::check;
    } else if (!arg.empty() && arg[0] == '-') {
      errors.push_back("unknown option " + arg + " (see --help)");
    } else if (have_config_path) {
      errors.push_back("only one configuration file can be given, not also " + arg);
    } else {
      settings.config_path = arg;
      have_config_path = true;
    }
  }
}

// ADMIN_PORT (a port or "off"), ADMIN_ADDRESS (numeric, so that it can be checked
// for loopback) and ADMIN_TOKEN (a Bearer token: visible ASCII, never echoed).
void read_admin_settings(const EnvLookup &env, Settings &settings,
                         std::vector<std::string> &errors) {
  if (const char *port = env("ADMIN_PORT")) {
    if (std::string_view(port) == "off")
      settings.admin_port.reset();
    else if (auto value = parse_number(port, 0, 65535))
      settings.admin_port = int(*value);
    else
      errors.push_back(std::string("ADMIN_PORT=\"") + port +
                       "\" is neither off nor a whole number from 0 to 65535");
  }
  if (const char *address = env("ADMIN_ADDRESS")) {
    in6_addr parsed{};
    if (::inet_pton(AF_INET, address, &parsed) == 1 || ::inet_pton(AF_INET6, address, &parsed) == 1)
      settings.admin_address = address;
    else
      errors.push_back(std::string("ADMIN_ADDRESS=\"") + address +
                       "\" is not a numeric IPv4 or IPv6 address");
  }
  if (const char *token = env("ADMIN_TOKEN")) {
    const std::string_view text(token);
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 127; }))
      settings.admin_token = token;
    else
      errors.push_back("ADMIN_TOKEN must be one or more visible ASCII characters (no spaces)");
  }
}

// LAMBDA_API_PORT ("off", the default, or a port) and LAMBDA_API_ADDRESS (numeric).
void read_lambda_api_settings(const EnvLookup &env, Settings &settings,
                              std::vector<std::string> &errors) {
  if (const char *port = env("LAMBDA_API_PORT")) {
    if (std::string_view(port) == "off")
      settings.lambda_api_port.reset();
    else if (auto value = parse_number(port, 0, 65535))
      settings.lambda_api_port = int(*value);
    else
      errors.push_back(std::string("LAMBDA_API_PORT=\"") + port +
                       "\" is neither off nor a whole number from 0 to 65535");
  }
  if (const char *address = env("LAMBDA_API_ADDRESS")) {
    in6_addr parsed{};
    if (::inet_pton(AF_INET, address, &parsed) == 1 || ::inet_pton(AF_INET6, address, &parsed) == 1)
      settings.lambda_api_address = address;
    else
      errors.push_back(std::string("LAMBDA_API_ADDRESS=\"") + address +
                       "\" is not a numeric IPv4 or IPv6 address");
  }
}

} // namespace

SettingsResult parse_settings(const std::vector<std::string> &args, const EnvLookup &env,
                              size_t cpu_count, bool debug_build) {
  SettingsResult result;
  Settings &settings = result.settings;
  std::vector<std::string> &errors = result.errors;

  read_arguments(args, settings, errors);

  settings.thread_count = std::max<size_t>(1, cpu_count);
  if (debug_build) settings.thread_count = std::min<size_t>(settings.thread_count, 4);

  read_number(env, "PORT", 0, 65535, errors, [&](long v) { settings.port = int(v); });
  read_number(env, "SERVER_THREAD_COUNT", 1, 1024, errors,
              [&](long v) { settings.thread_count = size_t(v); });
  read_number(env, "RESPONSE_PREALLOCATION_KB", 0, 1024 * 1024, errors,
              [&](long v) { settings.preallocation_bytes = size_t(v) * 1024; });
  read_number(env, "MAX_BODY_KB", 0, 4L * 1024 * 1024, errors,
              [&](long v) { settings.max_body_bytes = size_t(v) * 1024; });
  read_number(env, "MAX_HEADER_KB", 1, 1024, errors,
              [&](long v) { settings.max_head_bytes = size_t(v) * 1024; });
  read_number(env, "MAX_HEADER_COUNT", 1, 10000, errors,
              [&](long v) { settings.max_header_count = size_t(v); });
  read_number(env, "READ_TIMEOUT_MS", 1, 3600 * 1000, errors,
              [&](long v) { settings.read_timeout_ms = int(v); });
  read_number(env, "WRITE_TIMEOUT_MS", 1, 3600 * 1000, errors,
              [&](long v) { settings.write_timeout_ms = int(v); });
  read_number(env, "KEEPALIVE_TIMEOUT_S", 1, 3600, errors,
              [&](long v) { settings.keep_alive_seconds = int(v); });
  read_number(env, "MAX_CONNECTIONS", 1, 1000000, errors,
              [&](long v) { settings.max_connections = size_t(v); });
  read_number(env, "CLIENT_BUFFERS_MB", 0, 1024 * 1024, errors,
              [&](long v) { settings.client_buffer_bytes = size_t(v) << 20; });
  read_number(env, "CLIENT_SPILL_MB", 0, 1024L * 1024 * 1024, errors,
              [&](long v) { settings.client_spill_bytes = size_t(v) << 20; });
  read_number(env, "ADMIN_RECENT_REQUESTS", 0, 1000000, errors,
              [&](long v) { settings.recent_requests = size_t(v); });
  read_number(env, "HANDLER_TIMEOUT_MS", 1, 24 * 3600 * 1000, errors,
              [&](long v) { settings.handler_timeout_ms = int(v); });
  read_number(env, "UPSTREAM_CONNECT_TIMEOUT_MS", 1, 3600 * 1000, errors,
              [&](long v) { settings.upstream_connect_timeout_ms = int(v); });
  read_number(env, "UPSTREAM_READ_TIMEOUT_MS", 1, 24 * 3600 * 1000, errors,
              [&](long v) { settings.upstream_read_timeout_ms = int(v); });
  read_number(env, "SHUTDOWN_TIMEOUT_MS", 0, 3600 * 1000, errors,
              [&](long v) { settings.shutdown_timeout_ms = int(v); });
  if (const char *supervisor = env("SUPERVISOR")) {
    const std::string_view value = supervisor;
    if (value == "off")
      settings.supervise = false;
    else if (value != "on")
      errors.push_back("SUPERVISOR=\"" + std::string(value) + "\" must be on or off");
  }
  read_admin_settings(env, settings, errors);
  read_lambda_api_settings(env, settings, errors);
  if (const char *address = env("LISTEN_ADDRESS")) {
    if (*address == '\0')
      errors.push_back("LISTEN_ADDRESS is set but empty");
    else
      settings.listen_address = address;
  }
  return result;
}

std::string usage_text() {
  return R"(Usage: flexilib [options] [CONFIG]

Serves HTTP by calling handler libraries routed by CONFIG (default: proxy.ini in
the working directory).

Options:
  -t, --check     parse CONFIG and open every library it names, report each problem
                  with its line number, exit non-zero on any
  -h, --help      show this text
  -v, --version   show the version

Environment:
  PORT                        listening port (default 8069; 0 picks a free port)
  LISTEN_ADDRESS              address to listen on (default 0.0.0.0, all interfaces)
  SERVER_THREAD_COUNT         serving threads (default: the CPU count; at most 4 in a
                              debug build)
  RESPONSE_PREALLOCATION_KB   per-thread request arena in KiB (default 8)

Admin endpoint (JSON figures, reloads, health; see the README):
  ADMIN_PORT                  its port (default 8070; 0 picks a free port; off: none)
  ADMIN_ADDRESS               its address (default 127.0.0.1); an address that is not
                              loopback is refused unless ADMIN_TOKEN is set
  ADMIN_TOKEN                 when set, every admin request needs
                              "Authorization: Bearer <ADMIN_TOKEN>"
  ADMIN_RECENT_REQUESTS       recent requests GET /requests keeps (default 1000)

AWS Lambda Invoke API (POST /2015-03-31/functions/NAME/invocations for every
lambda: route, for aws lambda invoke, boto3 and SAM's clients; see the README):
  LAMBDA_API_PORT             its port (default off; 0 picks a free port; SAM's
                              start-lambda uses 3001)
  LAMBDA_API_ADDRESS          its address (default 127.0.0.1)

Limits (a request over one gets the status shown, then the connection closes):
  MAX_BODY_KB                 request body (default 10240): 413
  MAX_HEADER_KB               request line and headers together (default 16): 431
  MAX_HEADER_COUNT            header fields (default 100): 431
  READ_TIMEOUT_MS             a head or body that stops arriving (default 5000): close
  WRITE_TIMEOUT_MS            a client that stops reading (default 5000): close
  KEEPALIVE_TIMEOUT_S         idle keep-alive connection (default 5): close
  MAX_CONNECTIONS             open connections (default 10000): new ones wait
  CLIENT_BUFFERS_MB           memory for slow clients, all connections together
                              (default 64): bodies still arriving, responses not yet
                              read; past it responses go to a file in TMPDIR (/tmp)
                              and a serving thread reads the body (chunked: 503)
  CLIENT_SPILL_MB             disk for those responses, all together (default 1024);
                              past it a serving thread waits for the client
  HANDLER_TIMEOUT_MS          a handler that runs longer (default 30000): the client
                              gets 504 and a new thread replaces the stuck one
  A request line over 8192 bytes gets 414 (cpp-httplib's compiled-in limit).

Upstreams (rules whose target is an http:// URL):
  UPSTREAM_CONNECT_TIMEOUT_MS connecting to an upstream (default 2000): 504
  UPSTREAM_READ_TIMEOUT_MS    each wait for the upstream's bytes, and each send
                              (default 30000): 504; refused or broken: 502

Process:
  SUPERVISOR                  on (default): a supervisor process restarts the server
                              when a library crashes it; off: one process
  SHUTDOWN_TIMEOUT_MS         how long SIGINT/SIGTERM wait for requests in flight
                              (default 10000); a second signal stops at once

Signals: SIGHUP reloads CONFIG; SIGINT and SIGTERM stop the server.
)";
}

} // namespace flexilib::server
