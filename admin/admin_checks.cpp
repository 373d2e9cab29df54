// Host, Origin, token and parameter checks of admin requests.
#include "admin/admin_checks.hpp"

#include "http/case_insensitive.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <cstring>
#include <netinet/in.h>
#include <string>

namespace flexilib::admin {

namespace {

using http::equals_ignoring_case;

bool is_port(std::string_view text) {
  return !text.empty() && text.size() <= 5 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// The host part of "host", "host:port", "[v6]" or "[v6]:port" (brackets removed);
// nothing when what follows the host is not a port.
std::optional<std::string_view> host_without_port(std::string_view host) {
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return {};
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && !(rest.starts_with(':') && is_port(rest.substr(1)))) return {};
    return host.substr(1, close - 1);
  }
  const size_t colon = host.find(':');
  if (colon == std::string_view::npos) return host;
  if (!is_port(host.substr(colon + 1))) return {};
  return host.substr(0, colon);
}

} // namespace

bool is_loopback_address(std::string_view address) {
  const std::string text(address); // inet_pton wants a NUL-terminated string
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool is_loopback_host(std::string_view host) {
  const std::optional<std::string_view> name = host_without_port(host);
  if (!name || name->empty()) return false;
  return equals_ignoring_case(*name, "localhost") || is_loopback_address(*name);
}

bool host_allowed(std::string_view host, std::string_view admin_address) {
  if (is_loopback_host(host)) return true;
  const std::optional<std::string_view> name = host_without_port(host);
  return name && !name->empty() && *name == admin_address;
}

bool origin_allowed(std::string_view origin, std::string_view admin_address) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() > scheme.size() &&
        equals_ignoring_case(origin.substr(0, scheme.size()), scheme))
      return host_allowed(origin.substr(scheme.size()), admin_address);
  }
  return false;
}

bool bearer_token_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "Bearer ";
  if (token.empty() || authorization.size() < scheme.size()) return false;
  if (!equals_ignoring_case(authorization.substr(0, scheme.size()), scheme)) return false;
  const std::string_view given = authorization.substr(scheme.size());
  // Every byte is compared whatever the earlier ones were, so the answer's timing
  // tells an attacker nothing about how much of a guess was right.
  unsigned char difference = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i)
    difference |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : ~token[i]));
  return difference == 0;
}

std::optional<size_t> parse_request_limit(std::string_view text) {
  size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return {};
  if (value > max_request_limit) return {};
  return value;
}

} // namespace flexilib::admin
