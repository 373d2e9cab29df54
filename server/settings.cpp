// The settings table, and parsing the command line and the environment with it.
#include "server/settings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>

namespace flexilib::server {

namespace {

constexpr long kib = 1024;
constexpr long mib = 1024 * 1024;
constexpr long one_hour_ms = 3600 * 1000;

// A whole decimal number within [min, max]; anything else (signs, spaces, junk) is refused.
std::optional<long> parse_number(std::string_view text, long min, long max) {
  long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return {};
  if (value < min || value > max) return {};
  return value;
}

// ADMIN_ADDRESS is numeric, so that it can be checked for loopback; LISTEN_ADDRESS
// is handed to getaddrinfo as it is.
std::string read_admin_address(Settings &settings, std::string_view text) {
  const std::string address(text);
  in6_addr parsed{};
  if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1 &&
      ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1)
    return "ADMIN_ADDRESS=\"" + address + "\" is not a numeric IPv4 or IPv6 address";
  settings.admin_address = address;
  return {};
}

std::string read_admin_port(Settings &settings, std::string_view text) {
  if (text == "off") {
    settings.admin_port.reset();
    return {};
  }
  if (auto value = parse_number(text, 0, 65535)) {
    settings.admin_port = int(*value);
    return {};
  }
  return "ADMIN_PORT=\"" + std::string(text) +
         "\" is neither off nor a whole number from 0 to 65535";
}

std::string read_lambda_api_port(Settings &settings, std::string_view text) {
  if (text == "off") {
    settings.lambda_api_port.reset();
    return {};
  }
  if (auto value = parse_number(text, 0, 65535)) {
    settings.lambda_api_port = int(*value);
    return {};
  }
  return "LAMBDA_API_PORT=\"" + std::string(text) +
         "\" is neither off nor a whole number from 0 to 65535";
}

std::string read_lambda_api_address(Settings &settings, std::string_view text) {
  const std::string address(text);
  in6_addr parsed{};
  if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1 &&
      ::inet_pton(AF_INET6, address.c_str(), &parsed) != 1)
    return "LAMBDA_API_ADDRESS=\"" + address + "\" is not a numeric IPv4 or IPv6 address";
  settings.lambda_api_address = address;
  return {};
}

// A Bearer token: visible ASCII, and never echoed in an error.
std::string read_admin_token(Settings &settings, std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 127; }))
    return "ADMIN_TOKEN must be one or more visible ASCII characters (no spaces)";
  settings.admin_token = text;
  return {};
}

std::string read_listen_address(Settings &settings, std::string_view text) {
  if (text.empty()) return "LISTEN_ADDRESS is set but empty";
  settings.listen_address = text;
  return {};
}

std::string read_supervisor(Settings &settings, std::string_view text) {
  if (text != "on" && text != "off")
    return "SUPERVISOR=\"" + std::string(text) + "\" must be on or off";
  settings.supervise = text == "on";
  return {};
}

// The rows. A new setting is a field in Settings, a row here and a row in the README
// (test_settings.cpp checks that the README lists the same names and defaults).
constexpr SettingRow rows[] = {
    {.name = "PORT",
     .group = SettingGroup::serving,
     .default_text = "8069",
     .help = "listening port; 0 picks a free port",
     .min = 0,
     .max = 65535,
     .store = [](Settings &s, long v) { s.port = int(v); }},
    {.name = "LISTEN_ADDRESS",
     .group = SettingGroup::serving,
     .default_text = "0.0.0.0",
     .help = "address to listen on (0.0.0.0: all interfaces)",
     .read_text = read_listen_address},
    {.name = "SERVER_THREAD_COUNT",
     .group = SettingGroup::serving,
     .default_text = "CPU count (at most 4 in a Debug build)",
     .help = "serving threads",
     .default_is_derived = true,
     .min = 1,
     .max = 1024,
     .store = [](Settings &s, long v) { s.thread_count = size_t(v); }},
    {.name = "RESPONSE_PREALLOCATION_KB",
     .group = SettingGroup::serving,
     .default_text = "8",
     .help = "per-thread request arena in KiB",
     .min = 0,
     .max = 1024 * 1024,
     .store = [](Settings &s, long v) { s.preallocation_bytes = size_t(v * kib); }},

    {.name = "ADMIN_PORT",
     .group = SettingGroup::admin,
     .default_text = "8070",
     .help = "its port; 0 picks a free port; off: none",
     .read_text = read_admin_port},
    {.name = "ADMIN_ADDRESS",
     .group = SettingGroup::admin,
     .default_text = "127.0.0.1",
     .help = "its address; one that is not loopback is refused unless ADMIN_TOKEN is set",
     .read_text = read_admin_address},
    {.name = "ADMIN_TOKEN",
     .group = SettingGroup::admin,
     .default_text = "—",
     .help = "when set, every admin request needs \"Authorization: Bearer <ADMIN_TOKEN>\"",
     .default_is_derived = true,
     .read_text = read_admin_token},
    {.name = "ADMIN_RECENT_REQUESTS",
     .group = SettingGroup::admin,
     .default_text = "1000",
     .help = "recent requests GET /requests keeps",
     .min = 0,
     .max = 1000000,
     .store = [](Settings &s, long v) { s.recent_requests = size_t(v); }},

    {.name = "LAMBDA_API_PORT",
     .group = SettingGroup::lambda_api,
     .default_text = "off",
     .help = "its port; 0 picks a free port (SAM's start-lambda uses 3001)",
     .read_text = read_lambda_api_port},
    {.name = "LAMBDA_API_ADDRESS",
     .group = SettingGroup::lambda_api,
     .default_text = "127.0.0.1",
     .help = "its address (numeric IPv4 or IPv6)",
     .read_text = read_lambda_api_address},

    {.name = "MAX_BODY_KB",
     .group = SettingGroup::limits,
     .default_text = "10240",
     .help = "request body: 413",
     .min = 0,
     .max = 4 * mib,
     .store = [](Settings &s, long v) { s.max_body_bytes = size_t(v * kib); }},
    {.name = "MAX_HEADER_KB",
     .group = SettingGroup::limits,
     .default_text = "16",
     .help = "request line and headers together: 431",
     .min = 1,
     .max = 1024,
     .store = [](Settings &s, long v) { s.max_head_bytes = size_t(v * kib); }},
    {.name = "MAX_HEADER_COUNT",
     .group = SettingGroup::limits,
     .default_text = "100",
     .help = "header fields: 431",
     .min = 1,
     .max = 10000,
     .store = [](Settings &s, long v) { s.max_header_count = size_t(v); }},
    {.name = "READ_TIMEOUT_MS",
     .group = SettingGroup::limits,
     .default_text = "5000",
     .help = "a head or body that stops arriving: close",
     .min = 1,
     .max = one_hour_ms,
     .store = [](Settings &s, long v) { s.read_timeout_ms = int(v); }},
    {.name = "WRITE_TIMEOUT_MS",
     .group = SettingGroup::limits,
     .default_text = "5000",
     .help = "a client that stops reading: close",
     .min = 1,
     .max = one_hour_ms,
     .store = [](Settings &s, long v) { s.write_timeout_ms = int(v); }},
    {.name = "KEEPALIVE_TIMEOUT_S",
     .group = SettingGroup::limits,
     .default_text = "5",
     .help = "idle keep-alive connection: close",
     .min = 1,
     .max = 3600,
     .store = [](Settings &s, long v) { s.keep_alive_seconds = int(v); }},
    {.name = "MAX_CONNECTIONS",
     .group = SettingGroup::limits,
     .default_text = "10000",
     .help = "open connections: new ones wait",
     .min = 1,
     .max = 1000000,
     .store = [](Settings &s, long v) { s.max_connections = size_t(v); }},
    {.name = "CLIENT_BUFFERS_MB",
     .group = SettingGroup::limits,
     .default_text = "64",
     .help = "memory for slow clients, all connections together: bodies still arriving, "
             "responses not yet read; past it responses go to a file in TMPDIR (/tmp) and a "
             "serving thread reads the body (chunked: 503)",
     .min = 0,
     .max = 1024 * 1024,
     .store = [](Settings &s, long v) { s.client_buffer_bytes = size_t(v) << 20; }},
    {.name = "CLIENT_SPILL_MB",
     .group = SettingGroup::limits,
     .default_text = "1024",
     .help = "disk for those responses, all together; past it a serving thread waits for "
             "the client",
     .min = 0,
     .max = 1024 * mib,
     .store = [](Settings &s, long v) { s.client_spill_bytes = size_t(v) << 20; }},
    {.name = "HANDLER_TIMEOUT_MS",
     .group = SettingGroup::limits,
     .default_text = "30000",
     .help = "a handler that runs longer: the client gets 504 and a new thread replaces the "
             "stuck one",
     .min = 1,
     .max = 24 * one_hour_ms,
     .store = [](Settings &s, long v) { s.handler_timeout_ms = int(v); }},
    {.name = "STAND_IN_AFTER_MS",
     .group = SettingGroup::limits,
     .default_text = "5",
     .help = "a handler that runs longer: a stand-in thread serves in its place until it "
             "returns (at most SERVER_THREAD_COUNT at once); 0: none",
     .min = 0,
     .max = one_hour_ms,
     .store = [](Settings &s, long v) { s.stand_in_after_ms = int(v); }},

    {.name = "UPSTREAM_CONNECT_TIMEOUT_MS",
     .group = SettingGroup::upstreams,
     .default_text = "2000",
     .help = "connecting to an upstream: 504",
     .min = 1,
     .max = one_hour_ms,
     .store = [](Settings &s, long v) { s.upstream_connect_timeout_ms = int(v); }},
    {.name = "UPSTREAM_READ_TIMEOUT_MS",
     .group = SettingGroup::upstreams,
     .default_text = "30000",
     .help = "each wait for the upstream's bytes, and each send: 504; refused or broken: 502",
     .min = 1,
     .max = 24 * one_hour_ms,
     .store = [](Settings &s, long v) { s.upstream_read_timeout_ms = int(v); }},
    {.name = "UPSTREAM_FAIL_TIMEOUT_S",
     .group = SettingGroup::upstreams,
     .default_text = "10",
     .help = "an upstream that refused or timed out is skipped this long (0: never)",
     .min = 0,
     .max = 24 * 3600,
     .store = [](Settings &s, long v) { s.upstream_fail_timeout_s = int(v); }},
    {.name = "PROXY_BUFFER_KB",
     .group = SettingGroup::upstreams,
     .default_text = "64",
     .help = "memory per proxied request: the response head must fit; the body is relayed "
             "through it",
     .min = 4,
     .max = 64 * 1024,
     .store = [](Settings &s, long v) { s.proxy_buffer_bytes = size_t(v) << 10; }},

    {.name = "SUPERVISOR",
     .group = SettingGroup::process,
     .default_text = "on",
     .help = "on: a supervisor process restarts the server when a library crashes it; off: "
             "one process",
     .read_text = read_supervisor},
    {.name = "SHUTDOWN_TIMEOUT_MS",
     .group = SettingGroup::process,
     .default_text = "10000",
     .help = "how long SIGINT/SIGTERM wait for requests in flight; a second signal stops at "
             "once",
     .min = 0,
     .max = one_hour_ms,
     .store = [](Settings &s, long v) { s.shutdown_timeout_ms = int(v); }},
};

// Stores one value; the error message when it is not valid, empty when it is.
std::string apply(const SettingRow &row, std::string_view text, Settings &settings) {
  if (row.read_text != nullptr) return row.read_text(settings, text);
  if (auto value = parse_number(text, row.min, row.max)) {
    row.store(settings, *value);
    return {};
  }
  return std::string(row.name) + "=\"" + std::string(text) + "\" is not a whole number from " +
         std::to_string(row.min) + " to " + std::to_string(row.max);
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

constexpr std::string_view group_title(SettingGroup group) {
  switch (group) {
  case SettingGroup::serving:
    return "Environment:";
  case SettingGroup::admin:
    return "Admin endpoint (JSON figures, reloads, health; see the README):";
  case SettingGroup::lambda_api:
    return "AWS Lambda Invoke API (POST /2015-03-31/functions/NAME/invocations for every\n"
           "lambda: route, for aws lambda invoke, boto3 and SAM's clients; see the README):";
  case SettingGroup::limits:
    return "Limits (a request over one gets the status shown, then the connection closes):";
  case SettingGroup::upstreams:
    return "Upstreams (rules whose target is an http:// URL):";
  case SettingGroup::process:
    return "Process:";
  }
  return {};
}

// "  NAME  help (default X)", the help wrapped to 80 columns under its column.
void append_usage_row(std::string &out, const SettingRow &row) {
  constexpr size_t help_column = 30, width = 80;
  // The default is kept on one line: its spaces are marked until the text is wrapped.
  std::string shown_default = "(default " + std::string(row.default_text) + ")";
  std::replace(shown_default.begin(), shown_default.end(), ' ', '\x01');
  const std::string text = std::string(row.help) + " " + shown_default;
  std::string line = "  " + std::string(row.name);
  line.resize(std::max(help_column, line.size() + 1), ' ');
  size_t start = 0;
  while (start < text.size()) {
    size_t room = width - line.size();
    size_t end = text.size();
    if (end - start > room) {
      end = text.rfind(' ', start + room);
      if (end == std::string::npos || end <= start) end = start + room;
    }
    std::string piece = text.substr(start, end - start);
    std::replace(piece.begin(), piece.end(), '\x01', ' ');
    out += line + piece + "\n";
    start = end;
    while (start < text.size() && text[start] == ' ')
      ++start;
    line.assign(help_column, ' ');
  }
}

} // namespace

std::span<const SettingRow> setting_rows() {
  return rows;
}

SettingsResult parse_settings(const std::vector<std::string> &args, const EnvLookup &env,
                              size_t cpu_count, bool debug_build) {
  SettingsResult result;
  Settings &settings = result.settings;
  read_arguments(args, settings, result.errors);

  settings.thread_count = std::max<size_t>(1, cpu_count);
  if (debug_build) settings.thread_count = std::min<size_t>(settings.thread_count, 4);
  for (const SettingRow &row : rows) {
    if (!row.default_is_derived) {
      if (std::string error = apply(row, row.default_text, settings); !error.empty())
        result.errors.push_back("the default of " + error); // a mistake in the table
    }
    if (const char *text = env(std::string(row.name).c_str())) {
      if (std::string error = apply(row, text, settings); !error.empty())
        result.errors.push_back(std::move(error));
    }
  }
  return result;
}

std::string usage_text() {
  std::string usage = R"(Usage: flexilib [options] [CONFIG]

Serves HTTP by calling handler libraries routed by CONFIG (default: proxy.ini in
the working directory).

Options:
  -t, --check     parse CONFIG and open every library it names, report each problem
                  with its line number, exit non-zero on any
  -h, --help      show this text
  -v, --version   show the version
)";
  std::optional<SettingGroup> group;
  for (const SettingRow &row : rows) {
    if (row.group != group) {
      if (group == SettingGroup::limits)
        usage += "  A request line over 8192 bytes gets 414 (cpp-httplib's compiled-in limit).\n";
      group = row.group;
      usage.append("\n").append(group_title(row.group)).append("\n");
    }
    append_usage_row(usage, row);
  }
  usage += "\nSignals: SIGHUP reloads CONFIG; SIGINT and SIGTERM stop the server.\n";
  return usage;
}

} // namespace flexilib::server
