// Makes the route target a proxy.ini target text names, of the kind target_kind()
// reads from it: "http://..." an upstream, "lambda:..." and "cloudflare:..." FaaS
// profiles, anything else a FlexiLib library path. A new kind is a new RouteTarget,
// a TargetKind and its case here and in target_problem (target_syntax.cpp).
#pragma once

#include "loader/library_slot.hpp"
#include "targets/route_target.hpp"
#include "targets/target_syntax.hpp"
#include "upstream/upstream_relay.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace flexilib::targets {

// Settings that targets of some kind need, fixed for the server's life.
struct TargetOptions {
  upstream::UpstreamLimits upstream_limits; // UPSTREAM_*_TIMEOUT_MS, PROXY_BUFFER_KB
  int upstream_fail_timeout_s = 10;         // UPSTREAM_FAIL_TIMEOUT_S (0: never down)
};

// Gives the library slot for a resolved library path (one per file).
using SlotFor = std::function<std::shared_ptr<loader::LibrarySlot>(const std::string &path)>;

// The target for `target`, which target_problem has accepted. A library path is
// resolved against the directory of `config_path`.
std::unique_ptr<const RouteTarget> make_route_target(std::string_view target,
                                                     const std::string &config_path,
                                                     const SlotFor &slot_for,
                                                     const TargetOptions &options);

// Resolves a library named by proxy.ini against the directory of the config file
// (FlexiLib reads proxy.ini from its working directory, so for it the two are the same).
std::string resolve_library_path(const std::string &config_path, const std::string &library);

} // namespace flexilib::targets
