// Parsing "lambda:" and "cloudflare:" route targets and their settings.
#include "faas/route_profile.hpp"

#include <charconv>

namespace flexilib::faas {

namespace {

constexpr std::string_view lambda_prefix = "lambda:";
constexpr std::string_view cloudflare_prefix = "cloudflare:";

// A whole number in [minimum, maximum]; anything else is refused rather than clamped.
bool parse_bounded(std::string_view text, int minimum, int maximum, int &value) {
  int parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size()) return false;
  if (parsed < minimum || parsed > maximum) return false;
  value = parsed;
  return true;
}

// One "name=value" of the suffix. The bounds are the providers' own: Lambda allows a
// 1 s..900 s timeout (ms here, so tests can use short ones) and 128..10240 MB.
std::string apply_setting(std::string_view setting, RouteProfile &profile) {
  const size_t equals = setting.find('=');
  const std::string_view name = setting.substr(0, equals);
  const std::string_view value =
      equals == std::string_view::npos ? std::string_view{} : setting.substr(equals + 1);
  std::string quoted_value; // built by append: GCC 12 misreports "\"" + string (-Wrestrict)
  quoted_value.append(1, '"').append(value).append(1, '"');
  if (profile.provider == Provider::lambda && name == "timeout_ms")
    return parse_bounded(value, 1, 900000, profile.timeout_ms)
               ? ""
               : "timeout_ms " + quoted_value + " is not a whole number from 1 to 900000";
  if (profile.provider == Provider::lambda && name == "memory_mb")
    return parse_bounded(value, 128, 10240, profile.memory_mb)
               ? ""
               : "memory_mb " + quoted_value + " is not a whole number from 128 to 10240";
  if (profile.provider == Provider::cloudflare && name == "cpu_ms")
    return parse_bounded(value, 1, 300000, profile.cpu_ms)
               ? ""
               : "cpu_ms " + quoted_value + " is not a whole number from 1 to 300000";
  return "unknown setting \"" + std::string(name) + "\" for a " +
         std::string(provider_name(profile.provider)) + " route (" +
         (profile.provider == Provider::lambda ? "timeout_ms, memory_mb" : "cpu_ms") + ")";
}

} // namespace

bool names_provider(std::string_view target) {
  return target.starts_with(lambda_prefix) || target.starts_with(cloudflare_prefix);
}

ProfileParse parse_route_profile(std::string_view target) {
  ProfileParse result;
  RouteProfile &profile = result.profile;
  if (target.starts_with(lambda_prefix)) {
    profile.provider = Provider::lambda;
    target.remove_prefix(lambda_prefix.size());
  } else if (target.starts_with(cloudflare_prefix)) {
    profile.provider = Provider::cloudflare;
    target.remove_prefix(cloudflare_prefix.size());
  } else {
    profile.library = target;
    return result;
  }
  const size_t question = target.find('?');
  profile.library = target.substr(0, question);
  if (profile.library.empty()) {
    result.error =
        "names no library after \"" + std::string(provider_name(profile.provider)) + ":\"";
    return result;
  }
  if (question == std::string_view::npos) return result;
  std::string_view settings = target.substr(question + 1);
  while (!settings.empty()) {
    const size_t ampersand = settings.find('&');
    result.error = apply_setting(settings.substr(0, ampersand), profile);
    if (!result.error.empty()) return result;
    settings.remove_prefix(ampersand == std::string_view::npos ? settings.size() : ampersand + 1);
  }
  return result;
}

std::string_view provider_name(Provider provider) {
  switch (provider) {
  case Provider::lambda:
    return "lambda";
  case Provider::cloudflare:
    return "cloudflare";
  case Provider::none:
    break;
  }
  return "flexilib";
}

} // namespace flexilib::faas
