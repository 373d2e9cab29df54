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

// The values of every field named `name` (exact case) in a written head.
std::vector<std::string> values_of(std::string_view head, const std::string &name) {
  std::vector<std::string> values;
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const size_t end = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, end - at - 2);
    if (line.starts_with(name + ": ")) values.emplace_back(line.substr(name.size() + 2));
    at = end;
  }
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
  std::string named;
  add_connection_tokens("keep-alive, X-Secret", named);
  add_connection_tokens(" Other ", named);
  CHECK(named == ",keep-alive,x-secret,other,");
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

TEST_CASE("forwarding: the request head sent upstream", "[upstream]") {
  const ClientHeaders client({{"Host", "api.test"},
                              {"Connection", "X-Hop"},
                              {"X-Hop", "1"},
                              {"Content-Length", "5"},
                              {"Expect", "100-continue"},
                              {"X-Forwarded-For", "10.0.0.1"},
                              {"X-Forwarded-For", "10.0.0.2"},
                              {"X-Forwarded-Proto", "https"},
                              {"Upgrade", "websocket"},
                              {"Accept-Encoding", "gzip"}});
  std::string head;
  const bool upgrade = write_upstream_request_head(
      head, {"POST", {"/v1", "/x?y=1"}, "backend:80", 5}, client.fields, {"192.0.2.7", "HTTP/1.1"});
  CHECK_FALSE(upgrade); // Connection does not name upgrade
  CHECK(head.starts_with("POST /v1/x?y=1 HTTP/1.1\r\n"));
  CHECK(head.ends_with("\r\n\r\n"));
  CHECK(values_of(head, "Host") == std::vector<std::string>{"api.test"});
  CHECK(values_of(head, "X-Forwarded-For") ==
        std::vector<std::string>{"10.0.0.1, 10.0.0.2, 192.0.2.7"});
  CHECK(values_of(head, "X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(values_of(head, "X-Forwarded-Host") == std::vector<std::string>{"api.test"});
  CHECK(values_of(head, "Via") == std::vector<std::string>{"1.1 flexilib"});
  CHECK(values_of(head, "Accept-Encoding") == std::vector<std::string>{"gzip"});
  CHECK(values_of(head, "Content-Length") == std::vector<std::string>{"5"});
  for (const char *dropped : {"Connection", "X-Hop", "Expect", "Upgrade"})
    CHECK(values_of(head, dropped).empty());
}

TEST_CASE("forwarding: a request without Host gets the upstream's, and no body no length",
          "[upstream]") {
  const ClientHeaders client(std::vector<std::pair<std::string, std::string>>{{"Via", "1.0 edge"}});
  std::string head;
  write_upstream_request_head(head, {"GET", {"", "/"}, "[::1]:8080", std::nullopt}, client.fields,
                              {"::1", "HTTP/1.0"});
  CHECK(values_of(head, "Host") == std::vector<std::string>{"[::1]:8080"});
  CHECK(values_of(head, "X-Forwarded-Host").empty());
  CHECK(values_of(head, "Via") == std::vector<std::string>{"1.0 edge, 1.0 flexilib"});
  CHECK(values_of(head, "Content-Length").empty());
}

TEST_CASE("forwarding: an upgrade request keeps Upgrade and Connection: upgrade", "[upstream]") {
  const ClientHeaders client({{"Host", "h"},
                              {"Connection", "keep-alive, Upgrade"},
                              {"Upgrade", "websocket"},
                              {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  std::string head;
  CHECK(write_upstream_request_head(head, {"GET", {"", "/ws"}, "h:80", std::nullopt}, client.fields,
                                    {"127.0.0.1", "HTTP/1.1"}));
  CHECK(values_of(head, "Upgrade") == std::vector<std::string>{"websocket"});
  CHECK(values_of(head, "Connection") == std::vector<std::string>{"upgrade"});
  CHECK(values_of(head, "Sec-WebSocket-Key").size() == 1);
}

TEST_CASE("forwarding: the response fields sent back to the client", "[upstream]") {
  const std::vector<HeaderField> upstream = {
      {"Content-Length", "12"},      {"Transfer-Encoding", "chunked"},
      {"Connection", "close, X-Up"}, {"X-Up", "1"},
      {"Set-Cookie", "a=1"},         {"Set-Cookie", "b=2"},
      {"Via", "1.0 backend"}};
  std::string names;
  add_connection_tokens("close, X-Up", names);
  std::string passed = "HTTP/1.1 200 OK\r\n";
  append_client_response_fields(passed, upstream, names, "HTTP/1.1", false, false);
  CHECK(values_of(passed, "Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(values_of(passed, "Via") == std::vector<std::string>{"1.0 backend, 1.1 flexilib"});
  for (const char *dropped : {"Content-Length", "Transfer-Encoding", "Connection", "X-Up"})
    CHECK(values_of(passed, dropped).empty());
  std::string head_answer = "HTTP/1.1 200 OK\r\n";
  append_client_response_fields(head_answer, upstream, names, "HTTP/1.1", true, false);
  CHECK(values_of(head_answer, "Content-Length") == std::vector<std::string>{"12"});
}
