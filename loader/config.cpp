// Parsing proxy.ini with inih. inih scans the lines, trims them and splits each at its
// delimiter; the line reader below bends FlexiLib's format into a shape inih reads
// without surprises, and the handler turns each key/value pair into a checked Rule.
#include "loader/config.hpp"

#include "http/token.hpp"

#include "targets/target_syntax.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ini.h>
#include <map>
#include <memory>
#include <tuple>

namespace flexilib::loader {

namespace {

// inih splits a line at its FIRST '=' or ':' and cuts " ;..." off as a comment.
// FlexiLib has neither rule: a header rule holds a ':' before its '=' ("Host: iam / =
// lib.so") and a target may hold a ':' or a ';'. So the reader swaps every ':' and ';'
// for a control byte inih treats as plain text, leaving '=' the only delimiter inih
// sees, and the handler swaps them back. Lines holding control bytes are refused
// before that, so a swapped-in byte can never be mistaken for one of the file's own.
// (Debian's libinih also exposes inih's options as writable globals; they are
// process-wide and not upstream's API, so they stay untouched.)
constexpr char hidden_colon = '\x1f';
constexpr char hidden_semicolon = '\x1e';

constexpr const char *rule_forms =
    "expected \"/path-prefix = library\" or \"Header: value-prefix /path-prefix = library\" "
    "(library: a .so path or an http:// upstream URL)";

// Two rules with the same identity route exactly the same requests, so the second can
// never match. Header names compare case-insensitively, as at match time.
using RuleIdentity = std::tuple<std::string, std::string, std::string>;

struct ParseState {
  std::string_view unread; // the text not yet handed to inih
  int line = 0;            // the 1-based line inih is working on
  Config config;
  std::map<RuleIdentity, int> line_of_rule;

  void error(std::string message) { config.errors.push_back({line, std::move(message)}); }
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back()))
    text.remove_suffix(1);
  return text;
}

bool has_control_byte(std::string_view text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result.append(1, '"').append(text).append(1, '"');
  return result;
}

std::string_view take_line(ParseState &state) {
  const size_t newline = state.unread.find('\n');
  const std::string_view line = state.unread.substr(0, newline);
  state.unread.remove_prefix(newline == std::string_view::npos ? state.unread.size() : newline + 1);
  ++state.line;
  return line;
}

// What inih gets for one line of the file: the comment cut off, the line trimmed (so
// that indentation never makes it an inih continuation line) and ':' and ';' hidden.
// A line inih would misread or truncate is reported here and handed over blank.
std::string prepare_line(std::string_view raw, ParseState &state, size_t max_length) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (state.line == 1 && raw.starts_with(bom)) raw.remove_prefix(bom.size());
  const std::string_view line = trim(raw.substr(0, raw.find('#')));
  if (line.empty()) return {};
  if (has_control_byte(line)) {
    state.error("the line holds a control character");
    return {};
  }
  if (line.front() == '[') {
    state.error("sections like " + quoted(line) + " are not part of proxy.ini's format");
    return {};
  }
  if (line.find('=') == std::string_view::npos) {
    state.error("no '=' in " + quoted(line) + ": " + rule_forms);
    return {};
  }
  if (line.size() > max_length) {
    state.error("the rule is " + std::to_string(line.size()) + " characters long; inih reads " +
                "at most " + std::to_string(max_length));
    return {};
  }
  std::string prepared(line);
  for (char &c : prepared) {
    if (c == ':') c = hidden_colon;
    if (c == ';') c = hidden_semicolon;
  }
  return prepared;
}

std::string restore_hidden(const char *text) {
  std::string restored(text);
  for (char &c : restored) {
    if (c == hidden_colon) c = ':';
    if (c == hidden_semicolon) c = ';';
  }
  return restored;
}

// inih's reader, fgets-like: one line of the text per call, counted so that the handler
// knows its line number (inih calls the handler before it reads the next line).
char *read_line(char *buffer, int capacity, void *user) {
  auto &state = *static_cast<ParseState *>(user);
  if (state.unread.empty()) return nullptr;
  const std::string prepared = prepare_line(take_line(state), state, size_t(capacity) - 1);
  std::memcpy(buffer, prepared.c_str(), prepared.size() + 1);
  return buffer;
}

// A header field name: an RFC 9110 token.

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char &c : lower)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return lower;
}

// "/prefix". A request target never holds whitespace, so a prefix with some could
// never match: better refused than silently dead.
std::string parse_path_key(std::string_view key, Rule &rule) {
  if (key.find_first_of(" \t") != std::string_view::npos)
    return "the path prefix " + quoted(key) + " holds whitespace, so it could never match";
  rule.path_prefix = key;
  return {};
}

// "Name: value-prefix /path-prefix". The path prefix is the last word, so the value
// prefix may hold spaces as header values do ("User-Agent: Mozilla/5.0 (X11 / = ...").
// The value prefix may also be empty: "Host: / = lib.so" routes every request that has
// a Host header, whatever its value: the empty string is a prefix of every value, and
// routing on a header's presence is useful.
std::string parse_header_key(std::string_view key, Rule &rule) {
  const size_t colon = key.find(':');
  if (colon == std::string_view::npos) return quoted(key) + " is not a rule: " + rule_forms;
  const std::string_view name = trim(key.substr(0, colon));
  if (!http::is_token(name)) return quoted(name) + " is not a valid header name";
  const std::string_view rest = trim(key.substr(colon + 1));
  const size_t last_blank = rest.find_last_of(" \t");
  const bool has_value_prefix = last_blank != std::string_view::npos;
  const std::string_view path = has_value_prefix ? rest.substr(last_blank + 1) : rest;
  if (!path.starts_with('/'))
    return "the header rule " + quoted(key) + " needs a path prefix starting with '/' last";
  rule.header_name = name;
  rule.header_value_prefix = has_value_prefix ? trim(rest.substr(0, last_blank)) : "";
  rule.path_prefix = path;
  return {};
}

// Fills the key fields of `rule`; returns what is wrong with the key, or "".
std::string parse_key(std::string_view key, Rule &rule) {
  return key.starts_with('/') ? parse_path_key(key, rule) : parse_header_key(key, rule);
}

// inih's handler for one "key = target" line. Problems are collected, never returned
// to inih, so that every line is looked at.
int on_rule(void *user, const char * /*section*/, const char *raw_key, const char *raw_target) {
  auto &state = *static_cast<ParseState *>(user);
  const std::string key = restore_hidden(raw_key);
  if (key.empty()) {
    state.error(std::string("nothing before '=': ") + rule_forms);
    return 1;
  }
  Rule rule;
  rule.line = state.line;
  rule.target = restore_hidden(raw_target);
  if (rule.target.empty()) {
    state.error("the rule " + quoted(key) + " names no library after '='");
    return 1;
  }
  if (std::string problem = parse_key(key, rule); !problem.empty()) {
    state.error(std::move(problem));
    return 1;
  }
  if (std::string problem = targets::target_problem(rule.target); !problem.empty()) {
    state.error(std::move(problem));
    return 1;
  }
  const RuleIdentity identity{lowercase(rule.header_name), rule.header_value_prefix,
                              rule.path_prefix};
  const auto [earlier, is_new] = state.line_of_rule.emplace(identity, state.line);
  if (!is_new) {
    state.error("the rule " + quoted(key) + " repeats line " + std::to_string(earlier->second) +
                ", so it could never match");
    return 1;
  }
  state.config.rules.push_back(std::move(rule));
  return 1;
}

struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};

struct FileText {
  std::string text;
  int error = 0; // errno of the failure, 0 when the whole file was read
};

// std::ifstream would not say why a file cannot be read, and opens a directory
// without complaint; stdio reports both through errno.
FileText read_whole_file(const std::string &path) {
  FileText result;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    result.error = errno;
    return result;
  }
  std::array<char, 4096> chunk;
  size_t count = 0;
  while ((count = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0)
    result.text.append(chunk.data(), count);
  if (std::ferror(file.get())) result.error = errno != 0 ? errno : EIO;
  return result;
}

} // namespace

Config parse_config_text(std::string_view text) {
  ParseState state;
  state.unread = text;
  const int first_inih_error = ini_parse_stream(read_line, &state, on_rule, &state);
  // Cannot happen while the reader hands inih only blank lines and lines with an '='
  // and no ':' or ';'; kept so that no line is ever dropped without a word.
  if (first_inih_error != 0)
    state.config.errors.push_back({std::max(first_inih_error, 0), "inih could not parse this"});
  return std::move(state.config);
}

Config parse_config_file(const std::string &path) {
  const FileText file = read_whole_file(path);
  if (file.error != 0) {
    Config config;
    config.errors.push_back({0, std::string("cannot read: ") + std::strerror(file.error)});
    return config;
  }
  return parse_config_text(file.text);
}

std::string format_config_error(const std::string &path, const ConfigError &error) {
  if (error.line == 0) return path + ": " + error.message;
  return path + ":" + std::to_string(error.line) + ": " + error.message;
}

} // namespace flexilib::loader
