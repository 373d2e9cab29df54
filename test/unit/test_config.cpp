// Unit tests of proxy.ini parsing: FlexiLib's own example, its edge cases, bad lines.
#include "loader/config.hpp"

#include <catch2/catch.hpp>

using namespace flexilib::loader;

namespace {
// The first error's line and whether its message contains `text`.
bool has_error(const Config &config, int line, const std::string &text) {
  for (const ConfigError &error : config.errors)
    if (error.line == line && error.message.find(text) != std::string::npos) return true;
  return false;
}
} // namespace

TEST_CASE("FlexiLib's example proxy.ini parses into its four rules in order", "[config]") {
  const Config config =
      parse_config_text("Host: iam / = zig-out/lib/libflexilib-sample-lib.so\n"
                        "/c = zig-out/lib/libflexilib-in-c.so\n"
                        "/universal = zig-out/lib/libuniversal-lambda-example.so\n"
                        "/ = zig-out/lib/libflexilib-sample-lib.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 4);
  const Rule &header = config.rules[0];
  CHECK(header.header_name == "Host");
  CHECK(header.header_value_prefix == "iam");
  CHECK(header.path_prefix == "/");
  CHECK(header.target == "zig-out/lib/libflexilib-sample-lib.so");
  CHECK(header.line == 1);
  CHECK(config.rules[1].header_name.empty());
  CHECK(config.rules[1].path_prefix == "/c");
  CHECK(config.rules[1].target == "zig-out/lib/libflexilib-in-c.so");
  CHECK(config.rules[2].path_prefix == "/universal");
  CHECK(config.rules[3].path_prefix == "/");
  CHECK(config.rules[3].line == 4);
}

TEST_CASE("comments, blank lines, whitespace and line endings", "[config]") {
  const Config config = parse_config_text("\xEF\xBB\xBF# a comment line\n"
                                          "\n"
                                          "   /a   =   liba.so   # trailing comment\r\n"
                                          "\t/b=libb.so#tight comment\n"
                                          "; an inih-style comment\n"
                                          "    Host:   iam.x   /y = libc.so\n"
                                          "/d = libd.so");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 4);
  CHECK(config.rules[0].path_prefix == "/a");
  CHECK(config.rules[0].target == "liba.so");
  CHECK(config.rules[0].line == 3);
  CHECK(config.rules[1].path_prefix == "/b");
  CHECK(config.rules[1].target == "libb.so");
  CHECK(config.rules[2].header_name == "Host");
  CHECK(config.rules[2].header_value_prefix == "iam.x");
  CHECK(config.rules[2].path_prefix == "/y");
  CHECK(config.rules[2].line == 6);
  CHECK(config.rules[3].target == "libd.so"); // no newline at the end
}

TEST_CASE("targets and path prefixes may contain colons", "[config]") {
  const Config config = parse_config_text("/a:b = lib.so\n/api = http://127.0.0.1:3000\n");
  REQUIRE(config.ok());
  CHECK(config.rules[0].path_prefix == "/a:b");
  CHECK(config.rules[0].header_name.empty());
  CHECK(config.rules[1].target == "http://127.0.0.1:3000");
}

TEST_CASE("a header rule with an empty value prefix matches any value", "[config]") {
  const Config config = parse_config_text("X-Api-Key: /private = lib.so\n");
  REQUIRE(config.ok());
  CHECK(config.rules[0].header_name == "X-Api-Key");
  CHECK(config.rules[0].header_value_prefix.empty());
  CHECK(config.rules[0].path_prefix == "/private");
}

TEST_CASE("bad lines are reported with their line numbers and parsing goes on", "[config]") {
  const Config config = parse_config_text("/ok = lib.so\n"           // 1
                                          "no equals sign here\n"    // 2
                                          "[section]\n"              // 3
                                          "/empty =\n"               // 4
                                          " = lib.so\n"              // 5
                                          "relative = lib.so\n"      // 6
                                          "Bad Name: x / = lib.so\n" // 7
                                          "Host: iam = lib.so\n"     // 8
                                          "/ok = other.so\n"         // 9
                                          "/" +
                                          std::string(250, 'x') +
                                          " = lib.so\n"         // 10
                                          "/last = last.so\n"); // 11
  CHECK_FALSE(config.ok());
  CHECK(has_error(config, 2, "no '='"));
  CHECK(has_error(config, 3, "sections"));
  CHECK(has_error(config, 4, "names no library"));
  CHECK(has_error(config, 5, "nothing before '='"));
  CHECK(has_error(config, 6, "is not a rule"));
  CHECK(has_error(config, 7, "not a valid header name"));
  CHECK(has_error(config, 8, "needs a path prefix"));
  CHECK(has_error(config, 9, "already the rule on line 1"));
  CHECK(has_error(config, 10, "longer than"));
  CHECK(config.errors.size() == 9);
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[1].path_prefix == "/last");
  CHECK(config.rules[1].line == 11);
}

TEST_CASE("an unreadable file is one error without a line", "[config]") {
  const Config config = parse_config_file("/nonexistent/proxy.ini");
  REQUIRE(config.errors.size() == 1);
  CHECK(config.errors[0].line == 0);
  CHECK(config.errors[0].message.find("No such file") != std::string::npos);
  CHECK(format_config_error("/nonexistent/proxy.ini", config.errors[0])
            .rfind("/nonexistent/proxy.ini: ", 0) == 0);
  CHECK(format_config_error("p.ini", {3, "bad"}) == "p.ini:3: bad");
}

TEST_CASE("an empty file has no rules and no errors", "[config]") {
  const Config config = parse_config_text("# nothing yet\n\n");
  CHECK(config.ok());
  CHECK(config.rules.empty());
}
