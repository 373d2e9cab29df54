// Parsing upstream URLs by hand: the grammar proxy.ini accepts is small, and a
// parser that refuses everything else gives --check precise messages.
#include "upstream/upstream_url.hpp"

#include "http/case_insensitive.hpp"

#include <algorithm>
#include <charconv>

namespace flexilib::upstream {

namespace {

using http::starts_with_ignoring_case;

UrlParse refuse(std::string error) {
  return {std::nullopt, std::move(error)};
}

std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return {};
  if (port < 1 || port > 65535) return {};
  return port;
}

bool is_host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// "host", "host:port", "[::1]", "[::1]:port" into url.host and url.port.
std::string parse_authority(std::string_view authority, UpstreamUrl &url) {
  if (authority.find('@') != std::string_view::npos)
    return "user information (user@host) is not supported in an upstream URL";
  std::string_view host = authority, port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return "the IPv6 address has no closing ']'";
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return "unexpected text after the IPv6 address";
    if (!rest.empty()) port = rest.substr(1);
    if (host.empty()) return "the upstream URL names no host";
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return "the upstream URL names no host";
    for (char c : host)
      if (!is_host_character(c)) return "the host \"" + std::string(host) + "\" is not valid";
  }
  if (authority.find(':') != std::string_view::npos && !authority.starts_with('[') && port.empty())
    return "the upstream URL has ':' but no port";
  if (!port.empty()) {
    const std::optional<int> number = parse_port(port);
    if (!number) return "the port \"" + std::string(port) + "\" is not a number from 1 to 65535";
    url.port = *number;
  }
  url.host = host;
  const bool ipv6 = host.find(':') != std::string_view::npos;
  url.host_and_port = (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  return {};
}

} // namespace

bool names_upstream(std::string_view target) {
  return starts_with_ignoring_case(target, "http://") ||
         starts_with_ignoring_case(target, "https://");
}

UrlParse parse_upstream_url(std::string_view text) {
  if (starts_with_ignoring_case(text, "https://"))
    return refuse("https upstreams are not supported: name a plain http:// upstream (TLS to "
                  "the backend belongs to a sidecar or the backend itself)");
  if (!starts_with_ignoring_case(text, "http://"))
    return refuse("an upstream URL starts with http://");
  if (text.find_first_of("?#") != std::string_view::npos)
    return refuse("an upstream URL cannot hold a query or fragment");
  for (unsigned char c : text)
    if (c <= 0x20 || c >= 0x7f) return refuse("an upstream URL cannot hold spaces or non-ASCII");

  UpstreamUrl url;
  url.text = text;
  const std::string_view rest = text.substr(std::string_view("http://").size());
  const size_t slash = rest.find('/');
  if (std::string problem = parse_authority(rest.substr(0, slash), url); !problem.empty())
    return refuse(std::move(problem));
  if (slash != std::string_view::npos) url.path = rest.substr(slash);
  return {std::move(url), {}};
}

namespace {

// The items of a whitespace-separated list, as views into `text`.
std::vector<std::string_view> split_on_blanks(std::string_view text) {
  std::vector<std::string_view> items;
  size_t position = 0;
  for (;;) {
    const size_t start = text.find_first_not_of(" \t", position);
    if (start == std::string_view::npos) return items;
    position = std::min(text.find_first_of(" \t", start), text.size());
    items.push_back(text.substr(start, position - start));
  }
}

} // namespace

UrlListParse parse_upstream_list(std::string_view text) {
  const std::vector<std::string_view> items = split_on_blanks(text);
  if (items.empty()) return {{}, "no upstream URL"};
  UrlListParse list;
  for (const std::string_view item : items) {
    UrlParse parsed = parse_upstream_url(item);
    if (!parsed.url) {
      const std::string which = items.size() == 1
                                    ? std::string("the upstream")
                                    : "upstream " + std::to_string(list.urls.size() + 1) + " of " +
                                          std::to_string(items.size());
      return {{}, which + " \"" + std::string(item) + "\" is not usable: " + parsed.error};
    }
    list.urls.push_back(std::move(*parsed.url));
  }
  return list;
}

TargetParts rewritten_target(std::string_view target, std::string_view path_prefix,
                             std::string_view upstream_path) {
  if (upstream_path.empty()) return {{}, target};
  std::string_view rest = target.substr(std::min(path_prefix.size(), target.size()));
  if (upstream_path.ends_with('/') && rest.starts_with('/')) rest.remove_prefix(1);
  return {upstream_path, rest};
}

std::string rewrite_target(std::string_view target, std::string_view path_prefix,
                           std::string_view upstream_path) {
  const TargetParts parts = rewritten_target(target, path_prefix, upstream_path);
  std::string rewritten;
  rewritten.reserve(parts.path.size() + parts.rest.size());
  rewritten.append(parts.path).append(parts.rest);
  return rewritten;
}

} // namespace flexilib::upstream
