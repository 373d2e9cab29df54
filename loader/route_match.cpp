// First-match rule matching: prefix comparisons on the request's own bytes.
#include "loader/route_match.hpp"

#include <strings.h>

namespace flexilib::loader {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

// The value of the first header called `name` (any case) starts with `prefix`.
bool header_starts_with(const flexilib_header *headers, size_t count, std::string_view name,
                        std::string_view prefix) {
  for (size_t i = 0; i < count; ++i) {
    const flexilib_header &header = headers[i];
    if (header.name_len != name.size() ||
        ::strncasecmp(header.name_ptr, name.data(), name.size()) != 0)
      continue;
    return starts_with({header.value_ptr, header.value_len}, prefix);
  }
  return false;
}

} // namespace

int match_rule(const std::vector<Rule> &rules, std::string_view target,
               const flexilib_header *headers, size_t header_count) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const Rule &rule = rules[i];
    if (!starts_with(target, rule.path_prefix)) continue; // the cheap test first
    if (rule.header_name.empty() ||
        header_starts_with(headers, header_count, rule.header_name, rule.header_value_prefix))
      return int(i);
  }
  return -1;
}

} // namespace flexilib::loader
