// An HTTP upstream as proxy.ini names it ("http://127.0.0.1:3000/v1"), and how a
// request target is rewritten for it. Pure functions: no sockets, no allocation
// beyond the strings they return.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::upstream {

struct UpstreamUrl {
  std::string text; // as written in proxy.ini: how logs and figures name the upstream
  std::string host; // name or address to connect to; an IPv6 literal without brackets
  int port = 80;
  std::string host_and_port; // "host:port" ("[::1]:80"): the Host of a request without one
  std::string path;          // "" (forward the target unchanged) or "/v1" (replaces the prefix)
};

struct UrlParse {
  std::optional<UpstreamUrl> url;
  std::string error; // why the text is not a usable upstream, when url is empty
};

// True when a proxy.ini target is an upstream URL rather than a library path: it
// starts with "http://" or "https://" (any case). A library path never does, so
// every FlexiLib line keeps its meaning.
bool names_upstream(std::string_view target);

// "http://host[:port][/path]". Refused: https (no TLS to upstreams), user info,
// a query or fragment, an empty host, a port outside 1-65535.
UrlParse parse_upstream_url(std::string_view text);

struct UrlListParse {
  std::vector<UpstreamUrl> urls; // in the order written; empty when `error` says why
  std::string error;
};

// A rule's upstreams: one URL, or several separated by spaces or tabs
// ("http://127.0.0.1:3000 http://127.0.0.1:3001"), each as parse_upstream_url takes
// it. The first bad item is named with its place ("upstream 2 of 3 \"...\" is not usable").
UrlListParse parse_upstream_list(std::string_view text);

// The target sent upstream. With no path in the URL the target goes unchanged;
// with one, the matched path prefix is replaced by it:
//   "/api" + "http://h/v1": "/api/users?x=1" -> "/v1/users?x=1", "/api" -> "/v1".
// When the URL's path ends in '/' and the rest starts with one, one is dropped, so
// "/api" + "http://h/" sends "/api/x" as "/x", not "//x".
std::string rewrite_target(std::string_view target, std::string_view path_prefix,
                           std::string_view upstream_path);

// The same, as two pieces to write one after the other (no string is built): the
// upstream's path (empty without one) and the rest of the target.
struct TargetParts {
  std::string_view path, rest;
};
TargetParts rewritten_target(std::string_view target, std::string_view path_prefix,
                             std::string_view upstream_path);

} // namespace flexilib::upstream
