// Parsing proxy.ini with inih. inih does the line scanning, trimming and key/value
// split; FlexiLib's format needs three things inih does not do on its own, done in
// the line reader below: `#` comments anywhere on a line, indented lines that are
// rules rather than continuations, and header rules whose key holds a ':'.
#include "loader/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ini.h>
#include <map>
#include <sstream>

namespace flexilib::loader {

namespace {

// inih splits a line at the first '=' or ':'. A header rule ("Host: iam / = lib.so")
// must split at its '=', so the reader hides every ':' before the first '=' behind
// this byte and the handler puts them back. It cannot occur in a text file.
constexpr char hidden_colon = '\x1f';

constexpr const char *rule_forms =
    "expected \"/path-prefix = library\" or \"Header: value-prefix /path-prefix = library\"";

struct ParseState {
  std::string_view text; // what is left of the file
  int line = 0;          // the line inih is looking at
  std::string clean;     // that line, prepared for inih
  Config config;
  std::map<std::string, int> first_line_of_key;

  void error(std::string message) { config.errors.push_back({line, std::move(message)}); }
};

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

std::string_view next_line(ParseState &state) {
  const size_t end = state.text.find('\n');
  std::string_view line = state.text.substr(0, end);
  state.text.remove_prefix(end == std::string_view::npos ? state.text.size() : end + 1);
  ++state.line;
  return line;
}

// What inih gets for one line of the file: the comment cut off, no indentation, a
// header rule's colons hidden. Lines inih would misread are reported here and
// handed over blank.
std::string prepare_line(std::string_view raw, ParseState &state, size_t capacity) {
  if (state.line == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
  std::string_view line = trim(raw.substr(0, raw.find('#')));
  if (line.empty() || line.front() == ';') return {}; // ';' starts a comment for inih too
  if (line.front() == '[') {
    state.error("sections are not part of proxy.ini's format");
    return {};
  }
  const size_t equals = line.find('=');
  if (equals == std::string_view::npos) {
    state.error(std::string("no '=' in \"") + std::string(line) + "\": " + rule_forms);
    return {};
  }
  if (line.size() + 2 > capacity) {
    state.error("line is longer than " + std::to_string(capacity - 2) + " characters");
    return {};
  }
  std::string clean(line);
  for (size_t i = 0; i < equals; ++i)
    if (clean[i] == ':') clean[i] = hidden_colon;
  return clean;
}

char *read_line(char *buffer, int capacity, void *user) {
  auto &state = *static_cast<ParseState *>(user);
  if (state.text.empty()) return nullptr;
  state.clean = prepare_line(next_line(state), state, size_t(capacity));
  std::memcpy(buffer, state.clean.c_str(), state.clean.size() + 1);
  return buffer;
}

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text)
    if (c <= 0x20 || c >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", c) != nullptr) return false;
  return true;
}

// Fills the key fields of `rule` from "/prefix" or "Header: value-prefix /prefix".
bool parse_key(std::string_view key, Rule &rule, ParseState &state) {
  if (key.front() == '/') {
    rule.path_prefix = key;
    return true;
  }
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos) {
    state.error("\"" + std::string(key) + "\" is not a rule: " + rule_forms);
    return false;
  }
  const std::string_view name = trim(key.substr(0, colon));
  const std::string_view rest = trim(key.substr(colon + 1));
  if (!is_token(name)) {
    state.error("\"" + std::string(name) + "\" is not a valid header name");
    return false;
  }
  // The path prefix is the last word; everything before it is the value prefix,
  // which may be empty ("Host: / = lib.so": any Host header).
  const size_t space = rest.find_last_of(" \t");
  const std::string_view path = space == std::string_view::npos ? rest : rest.substr(space + 1);
  if (path.empty() || path.front() != '/') {
    state.error("header rule \"" + std::string(key) + "\" needs a path prefix starting with '/'");
    return false;
  }
  rule.header_name = name;
  rule.header_value_prefix = space == std::string_view::npos ? "" : trim(rest.substr(0, space));
  rule.path_prefix = path;
  return true;
}

int on_key_value(void *user, const char * /*section*/, const char *name, const char *value) {
  auto &state = *static_cast<ParseState *>(user);
  std::string key = name;
  for (char &c : key)
    if (c == hidden_colon) c = ':';
  if (key.empty()) {
    state.error(std::string("nothing before '=': ") + rule_forms);
    return 1;
  }
  if (*value == '\0') {
    state.error("rule \"" + key + "\" names no library after '='");
    return 1;
  }
  Rule rule;
  rule.line = state.line;
  rule.target = value;
  if (!parse_key(key, rule, state)) return 1;
  auto [first, inserted] = state.first_line_of_key.emplace(key, state.line);
  if (!inserted) {
    state.error("\"" + key + "\" is already the rule on line " + std::to_string(first->second) +
                ", so this one could never match");
    return 1;
  }
  state.config.rules.push_back(std::move(rule));
  return 1; // errors are collected, never returned to inih, so parsing goes on
}

} // namespace

Config parse_config_text(std::string_view text) {
  ParseState state;
  state.text = text;
  ini_parse_stream(read_line, &state, on_key_value, &state);
  return std::move(state.config);
}

Config parse_config_file(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    Config config;
    config.errors.push_back({0, std::string("cannot read: ") + std::strerror(errno)});
    return config;
  }
  std::ostringstream text;
  text << file.rdbuf();
  return parse_config_text(text.str());
}

std::string format_config_error(const std::string &path, const ConfigError &error) {
  if (error.line == 0) return path + ": " + error.message;
  return path + ":" + std::to_string(error.line) + ": " + error.message;
}

} // namespace flexilib::loader
