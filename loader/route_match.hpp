// First-match routing over the rules of proxy.ini. Matching compares prefixes in
// place on the request's own buffers and never allocates.
#pragma once

#include "executors/flexilib.h"
#include "loader/config.hpp"

#include <string_view>
#include <vector>

namespace flexilib::loader {

// Index into `rules` of the first rule that matches the request, or -1. A path rule
// matches when the target starts with its prefix; a header rule also needs the first
// header of that name (compared case-insensitively) to start with its value prefix.
// Whether one rule matches the request, as match_rule tests each.
bool rule_matches(const Rule &rule, std::string_view target, const flexilib_header *headers,
                  size_t header_count);

int match_rule(const std::vector<Rule> &rules, std::string_view target,
               const flexilib_header *headers, size_t header_count);

} // namespace flexilib::loader
