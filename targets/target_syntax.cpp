// Checking a proxy.ini target's text before any target is made.
#include "targets/target_syntax.hpp"

#include "faas/route_profile.hpp"
#include "targets/target_kind.hpp"
#include "upstream/upstream_url.hpp"

namespace flexilib::targets {

namespace {

std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result.append(1, '"').append(text).append(1, '"');
  return result;
}

} // namespace

std::string target_problem(std::string_view target) {
  switch (target_kind(target)) {
  case TargetKind::upstream: {
    return upstream::parse_upstream_list(target).error;
  }
  case TargetKind::lambda:
  case TargetKind::cloudflare: {
    const faas::ProfileParse parsed = faas::parse_route_profile(target);
    if (parsed.error.empty()) return {};
    return "the target " + quoted(target) + " " + parsed.error;
  }
  case TargetKind::flexilib_library:
    break;
  }
  return {};
}

} // namespace flexilib::targets
