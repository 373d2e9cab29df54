// proxy.ini: FlexiLib's routing file, parsed into an ordered list of rules.
// Parsing never throws; every problem is returned with the line it is on, so a bad
// file can be refused as a whole before it replaces a working configuration.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace flexilib::loader {

// One line of proxy.ini. A path rule has an empty header_name.
struct Rule {
  std::string header_name;         // "Host" in "Host: iam / = lib.so"
  std::string header_value_prefix; // "iam"
  std::string path_prefix;         // "/"
  std::string target;              // "lib.so", as written
  int line = 0;                    // 1-based line in the file
};

struct ConfigError {
  int line = 0; // 0: not about one line (e.g. the file cannot be read)
  std::string message;
};

struct Config {
  std::vector<Rule> rules;         // in file order: the first match wins
  std::vector<ConfigError> errors; // empty when the file is valid
  bool ok() const { return errors.empty(); }
};

// Parses proxy.ini text (the whole file). Rules are kept only when their line is
// valid; a caller refuses the whole file when `errors` is not empty.
Config parse_config_text(std::string_view text);

// Reads and parses a file; an unreadable file is one error with line 0.
Config parse_config_file(const std::string &path);

// "proxy.ini:3: message", the form every config error is printed in.
std::string format_config_error(const std::string &path, const ConfigError &error);

} // namespace flexilib::loader
