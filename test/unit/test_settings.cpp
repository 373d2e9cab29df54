// Unit tests of reading settings from the command line and the environment.
#include "server/settings.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace flexilib::server;

namespace {
SettingsResult parse(std::map<std::string, std::string> env, std::vector<std::string> args = {},
                     size_t cpus = 8, bool debug = false) {
  return parse_settings(
      args,
      [&env](const char *name) -> const char * {
        auto found = env.find(name);
        return found == env.end() ? nullptr : found->second.c_str();
      },
      cpus, debug);
}
} // namespace

TEST_CASE("defaults follow FlexiLib", "[settings]") {
  SettingsResult result = parse({});
  REQUIRE(result.errors.empty());
  CHECK(result.settings.port == 8069);
  CHECK(result.settings.listen_address == "0.0.0.0");
  CHECK(result.settings.thread_count == 8);
  CHECK(result.settings.preallocation_bytes == 8192);
  CHECK(result.settings.config_path == "proxy.ini");
  CHECK(result.settings.mode == Settings::Mode::serve);
}

TEST_CASE("a debug build serves with at most 4 threads by default", "[settings]") {
  CHECK(parse({}, {}, 8, true).settings.thread_count == 4);
  CHECK(parse({}, {}, 2, true).settings.thread_count == 2);
  CHECK(parse({{"SERVER_THREAD_COUNT", "6"}}, {}, 8, true).settings.thread_count == 6);
}

TEST_CASE("environment values are read", "[settings]") {
  SettingsResult result = parse({{"PORT", "0"},
                                 {"SERVER_THREAD_COUNT", "2"},
                                 {"RESPONSE_PREALLOCATION_KB", "16"},
                                 {"LISTEN_ADDRESS", "127.0.0.1"}});
  REQUIRE(result.errors.empty());
  CHECK(result.settings.port == 0);
  CHECK(result.settings.thread_count == 2);
  CHECK(result.settings.preallocation_bytes == 16 * 1024);
  CHECK(result.settings.listen_address == "127.0.0.1");
}

TEST_CASE("invalid environment values are refused naming the variable", "[settings]") {
  for (const auto &[name, value] :
       std::vector<std::pair<std::string, std::string>>{{"PORT", "80x"},
                                                        {"PORT", "70000"},
                                                        {"PORT", "-1"},
                                                        {"PORT", ""},
                                                        {"SERVER_THREAD_COUNT", "0"},
                                                        {"SERVER_THREAD_COUNT", "two"},
                                                        {"RESPONSE_PREALLOCATION_KB", " 8"},
                                                        {"LISTEN_ADDRESS", ""},
                                                        {"MAX_BODY_KB", "lots"},
                                                        {"HANDLER_TIMEOUT_MS", "0"},
                                                        {"SUPERVISOR", "maybe"}}) {
    SettingsResult result = parse({{name, value}});
    INFO(name << "=" << value);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].find(name) != std::string::npos);
  }
}

TEST_CASE("options and the config path come from the command line", "[settings]") {
  CHECK(parse({}, {"--check"}).settings.mode == Settings::Mode::check);
  CHECK(parse({}, {"-t", "other.ini"}).settings.config_path == "other.ini");
  CHECK(parse({}, {"--help"}).settings.mode == Settings::Mode::help);
  CHECK(parse({}, {"--version"}).settings.mode == Settings::Mode::version);
  CHECK(parse({}, {"--bogus"}).errors.size() == 1);
  CHECK(parse({}, {"a.ini", "b.ini"}).errors.size() == 1);
}

TEST_CASE("the admin endpoint defaults to loopback port 8070 without a token", "[settings]") {
  SettingsResult result = parse({});
  REQUIRE(result.errors.empty());
  CHECK(result.settings.admin_address == "127.0.0.1");
  CHECK(result.settings.admin_port == std::optional<int>(8070));
  CHECK(result.settings.admin_token.empty());
}

TEST_CASE("admin settings are read, and ADMIN_PORT=off disables the endpoint", "[settings]") {
  SettingsResult result =
      parse({{"ADMIN_ADDRESS", "::1"}, {"ADMIN_PORT", "0"}, {"ADMIN_TOKEN", "s3cret-token"}});
  REQUIRE(result.errors.empty());
  CHECK(result.settings.admin_address == "::1");
  CHECK(result.settings.admin_port == std::optional<int>(0));
  CHECK(result.settings.admin_token == "s3cret-token");
  CHECK_FALSE(parse({{"ADMIN_PORT", "off"}}).settings.admin_port.has_value());
  CHECK(parse({{"ADMIN_ADDRESS", "10.0.0.5"}}).errors.empty()); // refused later, without a token
}

TEST_CASE("invalid admin settings are refused naming the variable", "[settings]") {
  const std::vector<std::pair<std::string, std::string>> invalid = {
      {"ADMIN_PORT", "70000"},
      {"ADMIN_PORT", "Off"},
      {"ADMIN_PORT", ""},
      {"ADMIN_PORT", "-1"},
      {"ADMIN_ADDRESS", "localhost"},
      {"ADMIN_ADDRESS", ""},
      {"ADMIN_ADDRESS", "127.0.0.1:80"},
      {"ADMIN_TOKEN", ""},
      {"ADMIN_TOKEN", "two words"}};
  for (const auto &[name, value] : invalid) {
    SettingsResult result = parse({{name, value}});
    INFO(name << "=" << value);
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].find(name) != std::string::npos);
  }
}

TEST_CASE("a refused admin token is not echoed in the error", "[settings]") {
  SettingsResult result = parse({{"ADMIN_TOKEN", "secret with space"}});
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].find("secret") == std::string::npos);
}

TEST_CASE("usage text documents the admin variables", "[settings]") {
  const std::string usage = usage_text();
  for (const char *name : {"ADMIN_PORT", "ADMIN_ADDRESS", "ADMIN_TOKEN", "ADMIN_RECENT_REQUESTS"})
    CHECK(usage.find(name) != std::string::npos);
}

TEST_CASE("the Lambda Invoke API is off unless LAMBDA_API_PORT names a port", "[settings]") {
  SettingsResult defaults = parse({});
  CHECK_FALSE(defaults.settings.lambda_api_port.has_value());
  CHECK(defaults.settings.lambda_api_address == "127.0.0.1");
  SettingsResult result = parse({{"LAMBDA_API_PORT", "3001"}, {"LAMBDA_API_ADDRESS", "::1"}});
  REQUIRE(result.errors.empty());
  CHECK(result.settings.lambda_api_port == std::optional<int>(3001));
  CHECK(result.settings.lambda_api_address == "::1");
  CHECK(parse({{"LAMBDA_API_PORT", "0"}}).settings.lambda_api_port == std::optional<int>(0));
  CHECK_FALSE(parse({{"LAMBDA_API_PORT", "off"}}).settings.lambda_api_port.has_value());
  for (const auto &[name, value] :
       std::vector<std::pair<std::string, std::string>>{{"LAMBDA_API_PORT", "65536"},
                                                        {"LAMBDA_API_PORT", "on"},
                                                        {"LAMBDA_API_ADDRESS", "localhost"}}) {
    SettingsResult refused = parse({{name, value}});
    INFO(name << "=" << value);
    REQUIRE(refused.errors.size() == 1);
    CHECK(refused.errors[0].find(name) != std::string::npos);
  }
  CHECK(usage_text().find("LAMBDA_API_PORT") != std::string::npos);
}
