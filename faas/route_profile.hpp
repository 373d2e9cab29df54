// Which FaaS provider a route simulates, read from its proxy.ini target:
// "lambda:lib.so?timeout_ms=1000&memory_mb=256" or "cloudflare:lib.so?cpu_ms=50".
// A FlexiLib target never starts with "lambda:" or "cloudflare:", so plain lines keep
// their meaning; the settings ride in a query-like suffix so one line says it all.
#pragma once

#include <string>
#include <string_view>

namespace flexilib::faas {

enum class Provider { none, lambda, cloudflare };

struct RouteProfile {
  Provider provider = Provider::none;
  std::string library;   // the target without the provider prefix and the settings
  int timeout_ms = 3000; // lambda: AWS's default function timeout
  int memory_mb = 128;   // lambda: AWS's default memory size
  int cpu_ms = 10;       // cloudflare: the Workers Free plan's CPU time per request
};

struct ProfileParse {
  RouteProfile profile;
  std::string error; // empty when the target is valid
};

// True when the target names a provider (and so must be parsed by parse_route_profile).
bool names_provider(std::string_view target);

// A target without a provider prefix gives Provider::none and the target unchanged.
ProfileParse parse_route_profile(std::string_view target);

// "lambda", "cloudflare" or "flexilib": how figures and logs name a profile.
std::string_view provider_name(Provider provider);

} // namespace flexilib::faas
