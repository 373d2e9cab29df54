// Unit tests of first-match routing: path prefixes, header rules, file order.
#include "loader/route_match.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace flexilib::loader;

namespace {

Rule path_rule(const std::string &prefix) {
  Rule rule;
  rule.path_prefix = prefix;
  rule.target = "lib.so";
  return rule;
}

Rule header_rule(const std::string &name, const std::string &value_prefix,
                 const std::string &path_prefix) {
  Rule rule = path_rule(path_prefix);
  rule.header_name = name;
  rule.header_value_prefix = value_prefix;
  return rule;
}

flexilib_header header(const char *name, const char *value) {
  return {const_cast<char *>(name), std::strlen(name), const_cast<char *>(value),
          std::strlen(value)};
}

} // namespace

TEST_CASE("no rules, or no matching rule, gives -1", "[match]") {
  CHECK(match_rule({}, "/", nullptr, 0) == -1);
  const std::vector<Rule> rules{path_rule("/a"), path_rule("/b")};
  CHECK(match_rule(rules, "/c", nullptr, 0) == -1);
  CHECK(match_rule(rules, "", nullptr, 0) == -1);
}

TEST_CASE("the first matching rule wins, in file order", "[match]") {
  const std::vector<Rule> rules{path_rule("/c"), path_rule("/"), path_rule("/c/d")};
  CHECK(match_rule(rules, "/c/d/e", nullptr, 0) == 0); // "/c/d" comes too late to win
  CHECK(match_rule(rules, "/x", nullptr, 0) == 1);
  CHECK(match_rule(rules, "/", nullptr, 0) == 1);
}

TEST_CASE("a path prefix is a plain, case-sensitive prefix of the target", "[match]") {
  const std::vector<Rule> rules{path_rule("/c")};
  CHECK(match_rule(rules, "/c", nullptr, 0) == 0);
  CHECK(match_rule(rules, "/cat", nullptr, 0) == 0); // FlexiLib: "starts with", not segments
  CHECK(match_rule(rules, "/C", nullptr, 0) == -1);
  CHECK(match_rule(rules, "/", nullptr, 0) == -1);
}

TEST_CASE("the target's query string is part of what prefixes match", "[match]") {
  const std::vector<Rule> rules{path_rule("/q?x"), path_rule("/search")};
  CHECK(match_rule(rules, "/q?x=1", nullptr, 0) == 0);
  CHECK(match_rule(rules, "/q?y=1", nullptr, 0) == -1);
  CHECK(match_rule(rules, "/search?q=a&page=2", nullptr, 0) == 1);
}

TEST_CASE("a header rule's name is compared case-insensitively", "[match]") {
  const std::vector<Rule> rules{header_rule("Host", "iam", "/")};
  flexilib_header lower[] = {header("host", "iam.example.com")};
  flexilib_header upper[] = {header("HOST", "iam")};
  CHECK(match_rule(rules, "/x", lower, 1) == 0);
  CHECK(match_rule(rules, "/x", upper, 1) == 0);
}

TEST_CASE("a header rule's value prefix is compared case-sensitively", "[match]") {
  const std::vector<Rule> rules{header_rule("Host", "iam", "/")};
  flexilib_header upper_value[] = {header("Host", "IAM.example.com")};
  CHECK(match_rule(rules, "/", upper_value, 1) == -1);
}

TEST_CASE("a header rule needs both its header and its path prefix", "[match]") {
  const std::vector<Rule> rules{header_rule("Host", "iam", "/api"), path_rule("/")};
  flexilib_header iam[] = {header("Accept", "*/*"), header("Host", "iam.example.com")};
  flexilib_header other[] = {header("Host", "example.com")};
  CHECK(match_rule(rules, "/api/x", iam, 2) == 0);
  CHECK(match_rule(rules, "/web", iam, 2) == 1);     // header right, path wrong
  CHECK(match_rule(rules, "/api/x", other, 1) == 1); // path right, header wrong
}

TEST_CASE("a request without the header falls through to later rules", "[match]") {
  const std::vector<Rule> rules{header_rule("Host", "iam", "/"), path_rule("/")};
  flexilib_header unrelated[] = {header("Accept", "*/*")};
  CHECK(match_rule(rules, "/x", nullptr, 0) == 1);
  CHECK(match_rule(rules, "/x", unrelated, 1) == 1);
}

TEST_CASE("a header name must match whole, not as a prefix", "[match]") {
  const std::vector<Rule> rules{header_rule("Host", "", "/")};
  flexilib_header longer[] = {header("Hostname", "iam")};
  flexilib_header shorter[] = {header("Hos", "iam")};
  CHECK(match_rule(rules, "/", longer, 1) == -1);
  CHECK(match_rule(rules, "/", shorter, 1) == -1);
}

TEST_CASE("a header rule looks at the first header of that name only", "[match]") {
  const std::vector<Rule> rules{header_rule("X-Tenant", "blue", "/")};
  flexilib_header first_red[] = {header("X-Tenant", "red"), header("x-tenant", "blue")};
  flexilib_header first_blue[] = {header("x-tenant", "blue-team"), header("X-Tenant", "red")};
  CHECK(match_rule(rules, "/", first_red, 2) == -1);
  CHECK(match_rule(rules, "/", first_blue, 2) == 0);
}

TEST_CASE("an empty value prefix matches any value of a present header", "[match]") {
  const std::vector<Rule> rules{header_rule("X-Api-Key", "", "/")};
  flexilib_header keyed[] = {header("X-Api-Key", "anything")};
  flexilib_header empty_value[] = {header("X-Api-Key", "")};
  CHECK(match_rule(rules, "/", keyed, 1) == 0);
  CHECK(match_rule(rules, "/", empty_value, 1) == 0);
  CHECK(match_rule(rules, "/", nullptr, 0) == -1);
}

TEST_CASE("header names and values are read only up to their lengths", "[match]") {
  // The request's buffers are not NUL-terminated: what follows a field is not its.
  char name[] = "Hostx";
  char value[] = "iamx";
  const flexilib_header cut[] = {{name, 4, value, 2}}; // "Host: ia"
  CHECK(match_rule({header_rule("Host", "iam", "/")}, "/", cut, 1) == -1);
  CHECK(match_rule({header_rule("Host", "ia", "/")}, "/", cut, 1) == 0);
}

TEST_CASE("FlexiLib's example proxy.ini routes as FlexiLib does", "[match]") {
  const Config config =
      parse_config_text("Host: iam / = zig-out/lib/libflexilib-sample-lib.so\n"
                        "/c = zig-out/lib/libflexilib-in-c.so\n"
                        "/universal = zig-out/lib/libuniversal-lambda-example.so\n"
                        "/ = zig-out/lib/libflexilib-sample-lib.so\n");
  REQUIRE(config.ok());
  flexilib_header iam[] = {header("host", "iam")};
  flexilib_header localhost[] = {header("Host", "localhost:8069")};
  CHECK(match_rule(config.rules, "/c/anything", iam, 1) == 0);
  CHECK(match_rule(config.rules, "/c/anything", localhost, 1) == 1);
  CHECK(match_rule(config.rules, "/universal?x=1", localhost, 1) == 2);
  CHECK(match_rule(config.rules, "/other", localhost, 1) == 3);
}
