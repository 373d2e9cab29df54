// First-match rule matching: prefix comparisons on the request's own bytes, in file
// order, with no allocation (it runs for every request).
#include "loader/route_match.hpp"

#include <algorithm>

namespace flexilib::loader {

namespace {

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// Header names are ASCII tokens; strcasecmp would make the answer depend on the locale.
bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

// Only the first header called `name` is looked at: a repeat of the header further on
// gets no second chance to match.
bool first_header_starts_with(const flexilib_header *headers, size_t count, std::string_view name,
                              std::string_view prefix) {
  for (size_t i = 0; i < count; ++i) {
    const flexilib_header &header = headers[i];
    if (!equals_ignoring_ascii_case({header.name_ptr, header.name_len}, name)) continue;
    return std::string_view(header.value_ptr, header.value_len).starts_with(prefix);
  }
  return false;
}

} // namespace

bool rule_matches(const Rule &rule, std::string_view target, const flexilib_header *headers,
                  size_t header_count) {
  if (!target.starts_with(rule.path_prefix)) return false; // cheaper than the header scan
  if (rule.header_name.empty()) return true;
  return first_header_starts_with(headers, header_count, rule.header_name,
                                  rule.header_value_prefix);
}

int match_rule(const std::vector<Rule> &rules, std::string_view target,
               const flexilib_header *headers, size_t header_count) {
  for (size_t i = 0; i < rules.size(); ++i)
    if (rule_matches(rules[i], target, headers, header_count)) return int(i);
  return -1;
}

} // namespace flexilib::loader
