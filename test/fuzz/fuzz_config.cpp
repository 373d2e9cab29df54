// libFuzzer target for proxy.ini parsing and rule matching (loader/config.cpp,
// loader/route_match.cpp): any text parses without a crash into rules that hold the
// parser's promises, and matching agrees with a plain reference implementation.
//
// Input layout (libFuzzer's FuzzedDataProvider): the proxy.ini text first, then requests,
// each a target and header name/value pairs. Strings end at a backslash followed by
// another character ("\\\\" is one backslash), so a plain proxy.ini file is a valid
// input on its own: all config, no request. Small integers come from the input's end.
#include "loader/config.hpp"
#include "loader/route_match.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using flexilib::loader::Config;
using flexilib::loader::Rule;

// A broken promise is a finding: say which one, then abort so that libFuzzer keeps
// the input.
void require(bool holds, const char *promise) {
  if (holds) return;
  std::fprintf(stderr, "fuzz_config: broken promise: %s\n", promise);
  std::abort();
}

bool is_token(std::string_view text) {
  constexpr std::string_view symbols = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  for (char c : text) {
    const bool alphanumeric =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && symbols.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool has_control_byte(std::string_view text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

int line_count(std::string_view text) {
  int lines = 1;
  for (char c : text)
    lines += c == '\n';
  return lines;
}

void check_rules_keep_promises(const Config &config, std::string_view text) {
  const int lines = line_count(text);
  int previous_line = 0;
  for (const Rule &rule : config.rules) {
    require(rule.line > previous_line && rule.line <= lines, "rules come in file order");
    previous_line = rule.line;
    require(rule.path_prefix.starts_with('/'), "a path prefix starts with '/'");
    require(rule.path_prefix.find_first_of(" \t") == std::string::npos,
            "a path prefix holds no whitespace");
    require(!rule.target.empty(), "a rule names a library");
    require(rule.header_name.empty() || is_token(rule.header_name), "a header name is a token");
    require(!rule.header_name.empty() || rule.header_value_prefix.empty(),
            "only a header rule has a value prefix");
    // Lines with control bytes are refused, so none of the bytes the parser hides ':'
    // and ';' behind can be left in a rule.
    for (const std::string *field :
         {&rule.header_name, &rule.header_value_prefix, &rule.path_prefix, &rule.target})
      require(!has_control_byte(*field), "no control byte in a rule");
  }
  for (const auto &error : config.errors) {
    require(error.line >= 0 && error.line <= lines, "an error names a line of the file");
    require(!error.message.empty(), "an error says what is wrong");
  }
}

// The rules written back as proxy.ini, as tersely as the format allows so that no line
// gets longer than the one it came from, must parse into the same rules.
std::string written_back(const std::vector<Rule> &rules) {
  std::string text;
  int line = 1;
  for (const Rule &rule : rules) {
    for (; line < rule.line; ++line)
      text += "\n"; // keeps the line numbers
    if (!rule.header_name.empty()) {
      text += rule.header_name + ":" + rule.header_value_prefix;
      if (!rule.header_value_prefix.empty()) text += " ";
    }
    text += rule.path_prefix + "=" + rule.target;
  }
  return text;
}

void check_written_back_parses_the_same(const Config &config) {
  const Config again = flexilib::loader::parse_config_text(written_back(config.rules));
  require(again.ok(), "rules written back parse without errors");
  require(again.rules.size() == config.rules.size(), "rules written back keep their number");
  for (size_t i = 0; i < again.rules.size(); ++i) {
    const Rule &a = config.rules[i], &b = again.rules[i];
    require(a.header_name == b.header_name && a.header_value_prefix == b.header_value_prefix &&
                a.path_prefix == b.path_prefix && a.target == b.target && a.line == b.line,
            "rules written back parse into the same rules");
  }
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// The documented rule, written the obvious way: the target starts with the path prefix
// and, for a header rule, the first header of that name starts with the value prefix.
int reference_match(const std::vector<Rule> &rules, std::string_view target,
                    const std::vector<std::pair<std::string, std::string>> &headers) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const Rule &rule = rules[i];
    if (target.substr(0, rule.path_prefix.size()) != rule.path_prefix) continue;
    if (rule.header_name.empty()) return int(i);
    for (const auto &[name, value] : headers) {
      if (!same_name(name, rule.header_name)) continue;
      if (std::string_view(value).substr(0, rule.header_value_prefix.size()) ==
          rule.header_value_prefix)
        return int(i);
      break; // only the first header of that name counts
    }
  }
  return -1;
}

void check_matching(const std::vector<Rule> &rules, FuzzedDataProvider &input) {
  while (input.remaining_bytes() > 0) {
    const std::string target = input.ConsumeRandomLengthString();
    std::vector<std::pair<std::string, std::string>> headers(
        input.ConsumeIntegralInRange<size_t>(0, 8));
    for (auto &[name, value] : headers) {
      name = input.ConsumeRandomLengthString();
      value = input.ConsumeRandomLengthString();
    }
    std::vector<flexilib_header> c_headers;
    for (auto &[name, value] : headers)
      c_headers.push_back({name.data(), name.size(), value.data(), value.size()});
    const int matched =
        flexilib::loader::match_rule(rules, target, c_headers.data(), c_headers.size());
    require(matched == reference_match(rules, target, headers),
            "match_rule picks the first rule that matches");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string text = input.ConsumeRandomLengthString();
  const Config config = flexilib::loader::parse_config_text(text);
  check_rules_keep_promises(config, text);
  check_written_back_parses_the_same(config);
  for (const auto &error : config.errors)
    require(!flexilib::loader::format_config_error("proxy.ini", error).empty(),
            "an error can be printed");
  check_matching(config.rules, input);
  return 0;
}
