// Reading a proxy.ini target: which kind it is, whether it is valid, and making it.
#include "targets/target_factory.hpp"

#include "faas/route_profile.hpp"
#include "targets/cloudflare_target.hpp"
#include "targets/flexilib_target.hpp"
#include "targets/lambda_target.hpp"
#include "targets/upstream_target.hpp"
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
  if (upstream::names_upstream(target)) {
    const upstream::UrlParse parsed = upstream::parse_upstream_url(target);
    return parsed.url ? std::string()
                      : "the upstream " + quoted(target) + " is not usable: " + parsed.error;
  }
  if (faas::names_provider(target)) {
    const faas::ProfileParse parsed = faas::parse_route_profile(target);
    return parsed.error.empty() ? std::string()
                                : "the target " + quoted(target) + " " + parsed.error;
  }
  return {};
}

std::unique_ptr<const RouteTarget> make_route_target(std::string_view target,
                                                     const std::string &config_path,
                                                     const SlotFor &slot_for,
                                                     const TargetOptions &options) {
  if (upstream::names_upstream(target))
    return std::make_unique<UpstreamTarget>(*upstream::parse_upstream_url(target).url,
                                            options.upstream_timeouts);
  faas::RouteProfile profile = faas::parse_route_profile(target).profile;
  auto slot = slot_for(resolve_library_path(config_path, profile.library));
  switch (profile.provider) {
  case faas::Provider::lambda:
    return std::make_unique<LambdaTarget>(std::move(slot), std::move(profile));
  case faas::Provider::cloudflare:
    return std::make_unique<CloudflareTarget>(std::move(slot), std::move(profile));
  case faas::Provider::none:
    break;
  }
  return std::make_unique<FlexiLibTarget>(std::move(slot));
}

std::string resolve_library_path(const std::string &config_path, const std::string &library) {
  if (!library.empty() && library[0] == '/') return library;
  const size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return library;
  return config_path.substr(0, slash + 1) + library;
}

} // namespace flexilib::targets
