// Unit tests of first-match routing.
#include "loader/route_match.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace flexilib::loader;

namespace {
std::vector<Rule> rules_of(const std::string &text) {
  Config config = parse_config_text(text);
  REQUIRE(config.ok());
  return config.rules;
}

flexilib_header header(const char *name, const char *value) {
  return {const_cast<char *>(name), std::strlen(name), const_cast<char *>(value),
          std::strlen(value)};
}
} // namespace

TEST_CASE("the first matching rule wins, in file order", "[match]") {
  const auto rules = rules_of("/c = c.so\n/ = root.so\n/c/d = never.so\n");
  CHECK(match_rule(rules, "/c/d/e", nullptr, 0) == 0);
  CHECK(match_rule(rules, "/x", nullptr, 0) == 1);
  CHECK(match_rule(rules, "/", nullptr, 0) == 1);
}

TEST_CASE("path prefixes are plain prefixes of the target, query included", "[match]") {
  const auto rules = rules_of("/c = c.so\n/q?x = q.so\n");
  CHECK(match_rule(rules, "/cat", nullptr, 0) == 0); // FlexiLib: "starts with", not segments
  CHECK(match_rule(rules, "/q?x=1", nullptr, 0) == 1);
  CHECK(match_rule(rules, "/q?y=1", nullptr, 0) == -1);
  CHECK(match_rule(rules, "", nullptr, 0) == -1);
}

TEST_CASE("a header rule needs its header prefix and its path prefix", "[match]") {
  const auto rules = rules_of("Host: iam / = iam.so\n/ = root.so\n");
  flexilib_header iam[] = {header("Accept", "*/*"), header("host", "iam.example.com")};
  flexilib_header other[] = {header("Host", "example.com")};
  CHECK(match_rule(rules, "/x", iam, 2) == 0); // header name compared case-insensitively
  CHECK(match_rule(rules, "/x", other, 1) == 1);
  CHECK(match_rule(rules, "/x", nullptr, 0) == 1); // no Host header at all
  const auto api = rules_of("Host: iam /api = iam.so\n");
  CHECK(match_rule(api, "/web", iam, 2) == -1); // header matches, path does not
}

TEST_CASE("a header rule looks at the first header of that name only", "[match]") {
  const auto rules = rules_of("X-Tenant: blue / = blue.so\n");
  flexilib_header first_red[] = {header("X-Tenant", "red"), header("X-Tenant", "blue")};
  flexilib_header first_blue[] = {header("X-Tenant", "blue-team"), header("X-Tenant", "red")};
  CHECK(match_rule(rules, "/", first_red, 2) == -1);
  CHECK(match_rule(rules, "/", first_blue, 2) == 0);
}

TEST_CASE("header values are compared case-sensitively, names are not", "[match]") {
  const auto rules = rules_of("HOST: IAM / = iam.so\n");
  flexilib_header lower[] = {header("host", "iam")};
  flexilib_header upper[] = {header("Host", "IAM.example")};
  CHECK(match_rule(rules, "/", lower, 1) == -1);
  CHECK(match_rule(rules, "/", upper, 1) == 0);
}

TEST_CASE("an empty value prefix matches any value of a present header", "[match]") {
  const auto rules = rules_of("X-Api-Key: / = keyed.so\n");
  flexilib_header keyed[] = {header("X-Api-Key", "anything")};
  CHECK(match_rule(rules, "/", keyed, 1) == 0);
  CHECK(match_rule(rules, "/", nullptr, 0) == -1);
}
