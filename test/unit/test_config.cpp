// Unit tests of proxy.ini parsing: FlexiLib's own example, its layout rules, every kind
// of bad line with its line number, and reading the file from disk.
#include "loader/config.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace flexilib::loader;

namespace {

// The one error a one-problem text gives, so a test states its line and its words.
ConfigError only_error(const std::string &text) {
  const Config config = parse_config_text(text);
  REQUIRE(config.errors.size() == 1);
  CHECK(config.rules.empty());
  return config.errors.front();
}

bool mentions(const ConfigError &error, const std::string &words) {
  return error.message.find(words) != std::string::npos;
}

// A directory of its own under /tmp, removed with everything in it.
class ScratchDirectory {
public:
  ScratchDirectory()
      : path_(std::filesystem::temp_directory_path() /
              ("flexilib-test-config-" + std::to_string(::getpid()) + "-" +
               std::to_string(next_number_++))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  ScratchDirectory(const ScratchDirectory &) = delete;
  ScratchDirectory &operator=(const ScratchDirectory &) = delete;

  std::string write_file(const std::string &name, const std::string &content) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

private:
  static inline int next_number_ = 0;
  std::filesystem::path path_;
};

} // namespace

// ---- Valid files ---------------------------------------------------------------------

TEST_CASE("FlexiLib's example proxy.ini parses into its four rules in order", "[config]") {
  const Config config =
      parse_config_text("Host: iam / = zig-out/lib/libflexilib-sample-lib.so\n"
                        "/c = zig-out/lib/libflexilib-in-c.so\n"
                        "/universal = zig-out/lib/libuniversal-lambda-example.so\n"
                        "/ = zig-out/lib/libflexilib-sample-lib.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 4);

  const Rule &host = config.rules[0];
  CHECK(host.header_name == "Host");
  CHECK(host.header_value_prefix == "iam");
  CHECK(host.path_prefix == "/");
  CHECK(host.target == "zig-out/lib/libflexilib-sample-lib.so");
  CHECK(host.line == 1);

  const Rule &c = config.rules[1];
  CHECK(c.header_name.empty());
  CHECK(c.header_value_prefix.empty());
  CHECK(c.path_prefix == "/c");
  CHECK(c.target == "zig-out/lib/libflexilib-in-c.so");
  CHECK(c.line == 2);

  const Rule &universal = config.rules[2];
  CHECK(universal.header_name.empty());
  CHECK(universal.path_prefix == "/universal");
  CHECK(universal.target == "zig-out/lib/libuniversal-lambda-example.so");
  CHECK(universal.line == 3);

  const Rule &root = config.rules[3];
  CHECK(root.header_name.empty());
  CHECK(root.path_prefix == "/");
  CHECK(root.target == "zig-out/lib/libflexilib-sample-lib.so");
  CHECK(root.line == 4);
}

TEST_CASE("'#' starts a comment anywhere on a line", "[config]") {
  const Config config = parse_config_text("# a whole-line comment\n"
                                          "   # an indented comment line\n"
                                          "/a = liba.so # trailing comment\n"
                                          "/b=libb.so#no space before the comment\n"
                                          "/c = libc.so # a comment with = and : and ;\n"
                                          "#/d = commented-out.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 3);
  CHECK(config.rules[0].target == "liba.so");
  CHECK(config.rules[0].line == 3);
  CHECK(config.rules[1].path_prefix == "/b");
  CHECK(config.rules[1].target == "libb.so");
  CHECK(config.rules[2].target == "libc.so");
}

TEST_CASE("blank lines are skipped and do not shift line numbers", "[config]") {
  const Config config = parse_config_text("\n\n/a = a.so\n   \n\t\n/b = b.so\n\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].line == 3);
  CHECK(config.rules[1].line == 6);
}

TEST_CASE("whitespace around keys and values is trimmed, inside targets kept", "[config]") {
  const Config config = parse_config_text("   /a   =   liba.so   \n"
                                          "\t/b\t=\tmy libs/libb.so\t\n"
                                          "    Host:   iam.x   /y   = libc.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 3);
  CHECK(config.rules[0].path_prefix == "/a");
  CHECK(config.rules[0].target == "liba.so");
  CHECK(config.rules[1].path_prefix == "/b");
  CHECK(config.rules[1].target == "my libs/libb.so");
  CHECK(config.rules[2].header_name == "Host");
  CHECK(config.rules[2].header_value_prefix == "iam.x");
  CHECK(config.rules[2].path_prefix == "/y");
}

TEST_CASE("an indented line is a rule of its own, not a continuation line", "[config]") {
  const Config config = parse_config_text("/a = liba.so\n    /b = libb.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].target == "liba.so");
  CHECK(config.rules[1].path_prefix == "/b");
  CHECK(config.rules[1].line == 2);
}

TEST_CASE("CRLF line endings are read like LF", "[config]") {
  const Config config =
      parse_config_text("# comment\r\n/a = liba.so\r\n\r\nHost: iam / = libh.so # c\r\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].target == "liba.so");
  CHECK(config.rules[0].line == 2);
  CHECK(config.rules[1].path_prefix == "/");
  CHECK(config.rules[1].target == "libh.so");
  CHECK(config.rules[1].line == 4);
}

TEST_CASE("a UTF-8 byte order mark before the first line is ignored", "[config]") {
  SECTION("before a rule") {
    const Config config = parse_config_text("\xEF\xBB\xBF/a = liba.so\n");
    REQUIRE(config.ok());
    REQUIRE(config.rules.size() == 1);
    CHECK(config.rules[0].path_prefix == "/a");
  }
  SECTION("before a comment") {
    const Config config = parse_config_text("\xEF\xBB\xBF# comment\n/a = liba.so\n");
    REQUIRE(config.ok());
    REQUIRE(config.rules.size() == 1);
    CHECK(config.rules[0].line == 2);
  }
}

TEST_CASE("the last line needs no newline", "[config]") {
  const Config config = parse_config_text("/a = liba.so\n/b = libb.so");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[1].target == "libb.so");
}

TEST_CASE("a file with only comments and blank lines has no rules and no errors", "[config]") {
  CHECK(parse_config_text("").ok());
  const Config config = parse_config_text("# nothing yet\n\n");
  CHECK(config.ok());
  CHECK(config.rules.empty());
}

TEST_CASE("colons, semicolons and '=' after the first '=' are kept as written", "[config]") {
  const Config config = parse_config_text("/a:b = lib.so\n"
                                          "/api = http://127.0.0.1:3000\n"
                                          "/s = lib;v2.so\n"
                                          "/t = lib.so ;not a comment\n"
                                          "/u = lib.so?x=1\n"
                                          "Host: localhost:8080 / = libh.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 6);
  CHECK(config.rules[0].path_prefix == "/a:b");
  CHECK(config.rules[0].header_name.empty());
  CHECK(config.rules[1].target == "http://127.0.0.1:3000");
  CHECK(config.rules[2].target == "lib;v2.so");
  CHECK(config.rules[3].target == "lib.so ;not a comment");
  CHECK(config.rules[4].target == "lib.so?x=1");
  CHECK(config.rules[5].header_name == "Host");
  CHECK(config.rules[5].header_value_prefix == "localhost:8080");
  CHECK(config.rules[5].path_prefix == "/");
}

TEST_CASE("a header rule's path prefix is its last word", "[config]") {
  const Config config = parse_config_text("User-Agent: Mozilla/5.0 (X11 /ua = ua.so\n"
                                          "X-Tenant:blue /t = t.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].header_name == "User-Agent");
  CHECK(config.rules[0].header_value_prefix == "Mozilla/5.0 (X11");
  CHECK(config.rules[0].path_prefix == "/ua");
  CHECK(config.rules[1].header_name == "X-Tenant");
  CHECK(config.rules[1].header_value_prefix == "blue");
  CHECK(config.rules[1].path_prefix == "/t");
}

TEST_CASE("a header rule with an empty value prefix is valid and matches any value", "[config]") {
  const Config config = parse_config_text("X-Api-Key: /private = lib.so\nHost:/ = h.so\n");
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].header_name == "X-Api-Key");
  CHECK(config.rules[0].header_value_prefix.empty());
  CHECK(config.rules[0].path_prefix == "/private");
  CHECK(config.rules[1].header_name == "Host");
  CHECK(config.rules[1].header_value_prefix.empty());
  CHECK(config.rules[1].path_prefix == "/");
}

// ---- Bad lines -----------------------------------------------------------------------

TEST_CASE("a line without '=' is an error on its line", "[config]") {
  const ConfigError error = only_error("# comment\n/a liba.so\n");
  CHECK(error.line == 2);
  CHECK(mentions(error, "no '='"));
}

TEST_CASE("an INI section is an error: proxy.ini has none", "[config]") {
  const ConfigError error = only_error("[routes]\n");
  CHECK(error.line == 1);
  CHECK(mentions(error, "sections"));
}

TEST_CASE("a rule without a target is an error", "[config]") {
  const ConfigError error = only_error("\n/empty =   # nothing after '='\n");
  CHECK(error.line == 2);
  CHECK(mentions(error, "names no library"));
}

TEST_CASE("a rule without a key is an error", "[config]") {
  const ConfigError error = only_error("   = lib.so\n");
  CHECK(error.line == 1);
  CHECK(mentions(error, "nothing before '='"));
}

TEST_CASE("a key that is neither a path prefix nor a header rule is an error", "[config]") {
  CHECK(mentions(only_error("relative/path = lib.so\n"), "is not a rule"));
  CHECK(mentions(only_error("; inih comment = lib.so\n"), "is not a rule"));
}

TEST_CASE("a header rule needs an RFC 9110 token as its name", "[config]") {
  CHECK(mentions(only_error("Bad Name: x / = lib.so\n"), "not a valid header name"));
  CHECK(mentions(only_error(": x / = lib.so\n"), "not a valid header name"));
  CHECK(mentions(only_error("X(y): x / = lib.so\n"), "not a valid header name"));
  CHECK(parse_config_text("X-a.b_c~!'*+^`|$%&1: x / = lib.so\n").ok());
}

TEST_CASE("a header rule needs a path prefix starting with '/' last", "[config]") {
  CHECK(mentions(only_error("Host: iam = lib.so\n"), "needs a path prefix"));
  CHECK(mentions(only_error("Host: = lib.so\n"), "needs a path prefix"));
  CHECK(mentions(only_error("Host: iam/ = lib.so\n"), "needs a path prefix"));
}

TEST_CASE("a path prefix holding whitespace is an error: it could never match", "[config]") {
  const ConfigError error = only_error("/a b = lib.so\n");
  CHECK(error.line == 1);
  CHECK(mentions(error, "whitespace"));
}

TEST_CASE("a repeated rule is an error naming the line it repeats", "[config]") {
  SECTION("the same path prefix") {
    const Config config = parse_config_text("/a = one.so\n/b = b.so\n/a = two.so\n");
    REQUIRE(config.errors.size() == 1);
    CHECK(config.errors[0].line == 3);
    CHECK(mentions(config.errors[0], "repeats line 1"));
    CHECK(config.rules.size() == 2);
  }
  SECTION("the same header rule spelt differently") {
    const Config config = parse_config_text("Host: iam / = one.so\nhost:  iam  / = two.so\n");
    REQUIRE(config.errors.size() == 1);
    CHECK(config.errors[0].line == 2);
    CHECK(mentions(config.errors[0], "repeats line 1"));
  }
  SECTION("different value prefixes or a path rule are different rules") {
    CHECK(parse_config_text("Host: iam / = a.so\nHost: IAM / = b.so\n/ = c.so\n").ok());
  }
}

TEST_CASE("a rule longer than inih's line buffer is an error, not truncated", "[config]") {
  const std::string target = " = lib.so";
  const auto rule_of_length = [&](size_t length) {
    std::string rule = "/";
    return rule.append(length - 1 - target.size(), 'x').append(target);
  };
  SECTION("199 characters fit whole") {
    const Config config = parse_config_text(rule_of_length(199) + "\n");
    REQUIRE(config.ok());
    CHECK(config.rules[0].path_prefix.size() == 199 - target.size());
    CHECK(config.rules[0].target == "lib.so");
  }
  SECTION("200 characters do not") {
    const ConfigError error = only_error("# comment\n" + rule_of_length(200) + "\n");
    CHECK(error.line == 2);
    CHECK(mentions(error, "200 characters long"));
  }
  SECTION("a long comment does not count") {
    CHECK(parse_config_text("/a = a.so # " + std::string(500, 'c') + "\n").ok());
  }
}

TEST_CASE("a control character in a rule is an error", "[config]") {
  CHECK(mentions(only_error(std::string("/a = lib\0.so\n", 13)), "control character"));
  CHECK(mentions(only_error("/a = lib\x1f.so\n"), "control character"));
  CHECK(mentions(only_error("/a = lib.so\r/b = b.so\n"), "control character"));
}

TEST_CASE("every bad line is reported with its line number and parsing goes on", "[config]") {
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
                                          std::string(250, 'x') +           //
                                          " = lib.so\n"                     // 10
                                          "/a b = lib.so\n"                 // 11
                                          "# comment between\n"             // 12
                                          "Host: iam / = last.so # end\n"); // 13
  CHECK_FALSE(config.ok());
  REQUIRE(config.errors.size() == 10);
  const std::vector<int> expected_lines{2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (size_t i = 0; i < expected_lines.size(); ++i)
    CHECK(config.errors[i].line == expected_lines[i]);
  CHECK(mentions(config.errors[7], "repeats line 1"));
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].line == 1);
  CHECK(config.rules[1].header_name == "Host");
  CHECK(config.rules[1].target == "last.so");
  CHECK(config.rules[1].line == 13);
}

// ---- Files and messages --------------------------------------------------------------

TEST_CASE("parse_config_file reads and parses a file", "[config]") {
  const ScratchDirectory directory;
  const std::string path =
      directory.write_file("proxy.ini", "# routes\r\nHost: iam / = a.so\r\n/ = b.so\r\n");
  const Config config = parse_config_file(path);
  REQUIRE(config.ok());
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].header_value_prefix == "iam");
  CHECK(config.rules[1].line == 3);
}

TEST_CASE("a file that does not exist is one error without a line", "[config]") {
  const Config config = parse_config_file("/nonexistent/proxy.ini");
  REQUIRE(config.errors.size() == 1);
  CHECK(config.rules.empty());
  CHECK(config.errors[0].line == 0);
  CHECK(config.errors[0].message == "cannot read: No such file or directory");
  CHECK(format_config_error("/nonexistent/proxy.ini", config.errors[0]) ==
        "/nonexistent/proxy.ini: cannot read: No such file or directory");
}

TEST_CASE("a directory in place of the file is one error, not an empty config", "[config]") {
  const ScratchDirectory directory;
  const Config config = parse_config_file(directory.path());
  REQUIRE(config.errors.size() == 1);
  CHECK(config.errors[0].line == 0);
  CHECK(config.errors[0].message == "cannot read: Is a directory");
}

TEST_CASE("format_config_error puts the line between the path and the message", "[config]") {
  CHECK(format_config_error("proxy.ini", {3, "bad"}) == "proxy.ini:3: bad");
  CHECK(format_config_error("proxy.ini", {0, "bad"}) == "proxy.ini: bad");
}
