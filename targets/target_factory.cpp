// Making the route target a proxy.ini target text names.
#include "targets/target_factory.hpp"

#include "faas/route_profile.hpp"
#include "targets/cloudflare_target.hpp"
#include "targets/flexilib_target.hpp"
#include "targets/lambda_target.hpp"
#include "targets/target_kind.hpp"
#include "targets/upstream_target.hpp"
#include "upstream/upstream_url.hpp"

namespace flexilib::targets {

namespace {

// Each URL's server is the process's shared one, so its health and figures are
// those every rule naming it sees.
std::unique_ptr<const RouteTarget> make_upstream_target(std::string_view target,
                                                        const TargetOptions &options) {
  std::vector<upstream::GroupMember> members;
  for (upstream::UpstreamUrl &url : upstream::parse_upstream_list(target).urls) {
    std::shared_ptr<upstream::UpstreamServer> server = upstream::shared_server(url);
    members.push_back({std::move(url), std::move(server)});
  }
  const Clock::rep fail_timeout = ticks_of(std::chrono::seconds(options.upstream_fail_timeout_s));
  return std::make_unique<UpstreamTarget>(std::string(target), std::move(members), fail_timeout,
                                          options.upstream_limits);
}

} // namespace

std::unique_ptr<const RouteTarget> make_route_target(std::string_view target,
                                                     const std::string &config_path,
                                                     const SlotFor &slot_for,
                                                     const TargetOptions &options) {
  const TargetKind kind = target_kind(target);
  if (kind == TargetKind::upstream) return make_upstream_target(target, options);
  faas::RouteProfile profile = faas::parse_route_profile(target).profile;
  auto slot = slot_for(resolve_library_path(config_path, profile.library));
  switch (kind) {
  case TargetKind::lambda:
    return std::make_unique<LambdaTarget>(std::move(slot), std::move(profile));
  case TargetKind::cloudflare:
    return std::make_unique<CloudflareTarget>(std::move(slot), std::move(profile));
  case TargetKind::flexilib_library:
  case TargetKind::upstream:
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
