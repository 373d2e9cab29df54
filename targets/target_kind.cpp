// Telling the kinds of route target apart by their text.
#include "targets/target_kind.hpp"

#include "faas/route_profile.hpp"
#include "upstream/upstream_url.hpp"

namespace flexilib::targets {

TargetKind target_kind(std::string_view target) {
  if (upstream::names_upstream(target)) return TargetKind::upstream;
  if (!faas::names_provider(target)) return TargetKind::flexilib_library;
  switch (faas::parse_route_profile(target).profile.provider) {
  case faas::Provider::lambda:
    return TargetKind::lambda;
  case faas::Provider::cloudflare:
    return TargetKind::cloudflare;
  case faas::Provider::none:
    break;
  }
  return TargetKind::flexilib_library;
}

} // namespace flexilib::targets
