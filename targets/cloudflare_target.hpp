// A Cloudflare Workers route ("cloudflare:lib.so?cpu_ms=50"): a FlexiLib library
// called as Cloudflare's edge would run a Worker, with its CF-* headers added and its
// CPU time held to the plan's limit (error 1102 past it).
#pragma once

#include "faas/route_profile.hpp"
#include "targets/flexilib_target.hpp"

namespace flexilib::targets {

class CloudflareTarget : public FlexiLibTarget {
public:
  CloudflareTarget(std::shared_ptr<loader::LibrarySlot> slot, faas::RouteProfile profile)
      : FlexiLibTarget(std::move(slot)), profile_(std::move(profile)) {}
  void serve(Exchange &exchange, server::ResponseMessage &response) const override;
  std::string_view profile() const override { return "cloudflare"; }

private:
  faas::RouteProfile profile_;
};

} // namespace flexilib::targets
