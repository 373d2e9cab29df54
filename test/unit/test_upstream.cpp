// Unit tests of the pure parts of upstream forwarding: URL parsing, the target
// rewrite, hop-by-hop filtering and the forwarding fields.
#include "upstream/forwarded_headers.hpp"
#include "upstream/upstream_url.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace flexilib::upstream;

namespace {

flexilib_header field(const std::string &name, const std::string &value) {
  return {const_cast<char *>(name.data()), name.size(), const_cast<char *>(value.data()),
          value.size()};
}

// Owns the strings the C header array points into.
struct ClientHeaders {
  std::vector<std::pair<std::string, std::string>> text;
  std::vector<flexilib_header> fields;
  explicit ClientHeaders(std::vector<std::pair<std::string, std::string>> pairs)
      : text(std::move(pairs)) {
    for (const auto &[name, value] : text)
      fields.push_back(field(name, value));
  }
};

std::vector<std::string> values_of(const httplib::Headers &headers, const std::string &name) {
  std::vector<std::string> values;
  const auto [first, last] = headers.equal_range(name);
  for (auto it = first; it != last; ++it)
    values.push_back(it->second);
  return values;
}

} // namespace

TEST_CASE("upstream URL: host, port and path are parsed", "[upstream]") {
  const UrlParse plain = parse_upstream_url("http://127.0.0.1:3000");
  REQUIRE(plain.url);
  CHECK(plain.url->host == "127.0.0.1");
  CHECK(plain.url->port == 3000);
  CHECK(plain.url->path.empty());
  CHECK(plain.url->text == "http://127.0.0.1:3000");

  const UrlParse with_path = parse_upstream_url("http://backend.local/v1");
  REQUIRE(with_path.url);
  CHECK(with_path.url->host == "backend.local");
  CHECK(with_path.url->port == 80);
  CHECK(with_path.url->path == "/v1");

  const UrlParse ipv6 = parse_upstream_url("HTTP://[::1]:8080/");
  REQUIRE(ipv6.url);
  CHECK(ipv6.url->host == "::1");
  CHECK(ipv6.url->port == 8080);
  CHECK(ipv6.url->path == "/");
}

TEST_CASE("upstream URL: what cannot be forwarded to is refused with a reason", "[upstream]") {
  CHECK(parse_upstream_url("https://example.com").error.find("https") != std::string::npos);
  for (const char *bad :
       {"http://", "http://:80", "http://host:", "http://host:0", "http://host:65536",
        "http://host:12ab", "http://user@host", "http://host/a?b=c", "http://host/#x",
        "http://[::1", "http://ho st", "http://h\xc3\xa9/"}) {
    const UrlParse parsed = parse_upstream_url(bad);
    CHECK_FALSE(parsed.url);
    CHECK_FALSE(parsed.error.empty());
  }
}

TEST_CASE("upstream URL: only http:// and https:// targets name upstreams", "[upstream]") {
  CHECK(names_upstream("http://127.0.0.1:3000"));
  CHECK(names_upstream("HTTPS://x"));
  CHECK_FALSE(names_upstream("./libhandler.so"));
  CHECK_FALSE(names_upstream("/srv/http/lib.so"));
  CHECK_FALSE(names_upstream("http:/lib.so"));
}

TEST_CASE("upstream target: the matched prefix is replaced by the URL's path", "[upstream]") {
  CHECK(rewrite_target("/api/users?x=1", "/api", "") == "/api/users?x=1");
  CHECK(rewrite_target("/api/users?x=1", "/api", "/v1") == "/v1/users?x=1");
  CHECK(rewrite_target("/api", "/api", "/v1") == "/v1");
  CHECK(rewrite_target("/api/x", "/api", "/") == "/x");
  CHECK(rewrite_target("/api/x", "/api/", "/") == "/x");
  CHECK(rewrite_target("/api/x", "/api/", "/v2/") == "/v2/x");
  CHECK(rewrite_target("/x", "/", "/app/") == "/app/x");
}

TEST_CASE("forwarding: hop-by-hop fields and those Connection names are recognised", "[upstream]") {
  const httplib::Headers headers = {{"Connection", "keep-alive, X-Secret"},
                                    {"connection", " Other "}};
  const std::string named = connection_named_fields(headers);
  for (const char *name : {"Connection", "keep-alive", "TE", "Transfer-Encoding", "Upgrade",
                           "Proxy-Authorization", "Proxy-Connection", "x-secret", "OTHER"})
    CHECK(is_hop_by_hop(name, named));
  for (const char *name : {"Host", "Content-Type", "X-Secretive", "Cookie", "Authorization"})
    CHECK_FALSE(is_hop_by_hop(name, named));
}

TEST_CASE("forwarding: X-Forwarded-For and Via are appended to", "[upstream]") {
  CHECK(append_to_list("", "127.0.0.1") == "127.0.0.1");
  CHECK(append_to_list("10.0.0.1", "127.0.0.1") == "10.0.0.1, 127.0.0.1");
  CHECK(append_to_list("10.0.0.1, 10.0.0.2 ", "::1") == "10.0.0.1, 10.0.0.2, ::1");
  CHECK(via_entry("HTTP/1.0") == "1.0 flexilib");
  CHECK(via_entry("HTTP/1.1") == "1.1 flexilib");
}

TEST_CASE("forwarding: the request fields sent upstream", "[upstream]") {
  const ClientHeaders client({{"Host", "api.test"},
                              {"Connection", "X-Hop"},
                              {"X-Hop", "1"},
                              {"Content-Length", "5"},
                              {"Expect", "100-continue"},
                              {"X-Forwarded-For", "10.0.0.1"},
                              {"X-Forwarded-For", "10.0.0.2"},
                              {"X-Forwarded-Proto", "https"},
                              {"Accept-Encoding", "gzip"}});
  const httplib::Headers sent = upstream_request_headers(client.fields, {"192.0.2.7", "HTTP/1.1"});
  CHECK(values_of(sent, "Host") == std::vector<std::string>{"api.test"});
  CHECK(values_of(sent, "X-Forwarded-For") ==
        std::vector<std::string>{"10.0.0.1, 10.0.0.2, 192.0.2.7"});
  CHECK(values_of(sent, "X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(values_of(sent, "X-Forwarded-Host") == std::vector<std::string>{"api.test"});
  CHECK(values_of(sent, "Via") == std::vector<std::string>{"1.1 flexilib"});
  CHECK(values_of(sent, "Accept-Encoding") == std::vector<std::string>{"gzip"});
  for (const char *dropped : {"Connection", "X-Hop", "Content-Length", "Expect"})
    CHECK(sent.count(dropped) == 0);
}

TEST_CASE("forwarding: the response fields sent back to the client", "[upstream]") {
  const httplib::Headers upstream = {
      {"Content-Length", "12"},      {"Transfer-Encoding", "chunked"},
      {"Connection", "close, X-Up"}, {"X-Up", "1"},
      {"Set-Cookie", "a=1"},         {"Set-Cookie", "b=2"},
      {"Via", "1.0 backend"}};
  const httplib::Headers passed = client_response_headers(upstream, "HTTP/1.1", false);
  CHECK(values_of(passed, "Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(values_of(passed, "Via") == std::vector<std::string>{"1.0 backend, 1.1 flexilib"});
  for (const char *dropped : {"Content-Length", "Transfer-Encoding", "Connection", "X-Up"})
    CHECK(passed.count(dropped) == 0);
  CHECK(values_of(client_response_headers(upstream, "HTTP/1.1", true), "Content-Length") ==
        std::vector<std::string>{"12"});
}
