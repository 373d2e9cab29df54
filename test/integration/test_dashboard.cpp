// The admin dashboard as served: content negotiation between the page and JSON at
// GET /, the page's headers and its self-containment, the token's place, and the
// histogram buckets /stats gives the page. test/browser/ runs the page in Chromium.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

using namespace flexilib::test;
using nlohmann::json;

namespace {

constexpr const char *browser_accept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

struct Running {
  std::unique_ptr<ServerProcess> server;
  int admin_port = 0;
};

Running start_with_admin(const TempDir &dir, std::map<std::string, std::string> env = {}) {
  env.emplace("ADMIN_PORT", "0");
  Running running{start_server(dir, "/ = " + build_path("executors/libflexilib-example.so") + "\n",
                               std::move(env))};
  running.admin_port = running.server->announced_port("admin");
  return running;
}

httplib::Result admin_get(int port, const std::string &path, httplib::Headers headers = {}) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  return client.Get(path.c_str(), headers);
}

std::string file_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("dashboard: a browser gets the page, built from admin/dashboard.html",
          "[admin][dashboard]") {
  TempDir dir;
  auto running = start_with_admin(dir);
  auto page = admin_get(running.admin_port, "/", {{"Accept", browser_accept}});
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(page->get_header_value("Vary") == "Accept");
  // The browser itself refuses anything but this origin and the inline code.
  const std::string policy = page->get_header_value("Content-Security-Policy");
  CHECK(policy.find("default-src 'none'") != std::string::npos);
  CHECK(policy.find("connect-src 'self'") != std::string::npos);
  CHECK(page->body == file_text(source_path("admin/dashboard.html")));
}

TEST_CASE("dashboard: curl, scripts and JSON clients keep the JSON index", "[admin][dashboard]") {
  TempDir dir;
  auto running = start_with_admin(dir);
  for (const httplib::Headers &headers :
       {httplib::Headers{}, httplib::Headers{{"Accept", "*/*"}},
        httplib::Headers{{"Accept", "application/json"}},
        httplib::Headers{{"Accept", "application/json, text/html;q=0.5"}}}) {
    auto index = admin_get(running.admin_port, "/", headers);
    REQUIRE(index);
    INFO((headers.empty() ? "no Accept" : headers.begin()->second));
    CHECK(index->status == 200);
    CHECK(index->get_header_value("Content-Type") == "application/json");
    CHECK(index->get_header_value("Vary") == "Accept");
    CHECK(json::parse(index->body).contains("endpoints"));
  }
}

TEST_CASE("dashboard: the page loads nothing from elsewhere", "[admin][dashboard]") {
  const std::string page = file_text(source_path("admin/dashboard.html"));
  REQUIRE(!page.empty());
  // Nothing the browser would fetch: no src/href attributes, no CSS url() or @import.
  for (const char *fetching : {"src=", "href=", "url(", "@import", "<link", "<iframe", "<img"}) {
    INFO(fetching);
    CHECK(page.find(fetching) == std::string::npos);
  }
  // The only absolute URL is the SVG namespace, an identifier nothing fetches.
  const std::regex absolute_url(R"(\w+://[^\s"'`)]*)");
  for (auto match = std::sregex_iterator(page.begin(), page.end(), absolute_url);
       match != std::sregex_iterator(); ++match)
    CHECK(match->str() == "http://www.w3.org/2000/svg");
  // Every fetch() is of a path on this origin.
  const std::regex call_path(R"re(call\(\s*"([^"]*)")re");
  for (auto match = std::sregex_iterator(page.begin(), page.end(), call_path);
       match != std::sregex_iterator(); ++match)
    CHECK((*match)[1].str().starts_with("/"));
}

TEST_CASE("dashboard: with ADMIN_TOKEN the page is served, its data only with the token",
          "[admin][dashboard]") {
  TempDir dir;
  auto running = start_with_admin(dir, {{"ADMIN_TOKEN", "s3cret"}});
  auto page = admin_get(running.admin_port, "/", {{"Accept", browser_accept}});
  REQUIRE(page);
  CHECK(page->status == 200); // it asks for the token itself
  CHECK(page->body.find("needs its token") != std::string::npos);

  auto index = admin_get(running.admin_port, "/", {{"Accept", "*/*"}});
  REQUIRE(index);
  CHECK(index->status == 401);
  auto routes = admin_get(running.admin_port, "/routes", {{"Accept", browser_accept}});
  REQUIRE(routes);
  CHECK(routes->status == 401);
  auto with_token = admin_get(running.admin_port, "/routes", {{"Authorization", "Bearer s3cret"}});
  REQUIRE(with_token);
  CHECK(with_token->status == 200);
}

TEST_CASE("dashboard: the page is refused to a foreign Host (DNS rebinding)",
          "[admin][dashboard]") {
  TempDir dir;
  auto running = start_with_admin(dir);
  auto page = admin_get(running.admin_port, "/",
                        {{"Accept", browser_accept}, {"Host", "attacker.example"}});
  REQUIRE(page);
  CHECK(page->status == 403);
  CHECK(page->body.find("<html") == std::string::npos);
}

TEST_CASE("dashboard: /stats gives each latency in log-scale buckets that add up",
          "[admin][dashboard]") {
  TempDir dir;
  auto running = start_with_admin(dir);
  auto client = client_for(*running.server);
  for (int i = 0; i < 3; ++i)
    REQUIRE(client.Get("/x"));
  json stats;
  REQUIRE(eventually([&] {
    auto answer = admin_get(running.admin_port, "/stats");
    if (!answer || answer->status != 200) return false;
    stats = json::parse(answer->body);
    return stats["requests"] == 3;
  }));
  for (const json *scope : {&stats, &stats["routes"]["/"]}) {
    for (const char *latency : {"ttfb_ms", "ttlb_ms"}) {
      const json &figures = (*scope)[latency];
      INFO(latency << ": " << figures.dump());
      const json &buckets = figures["buckets"];
      REQUIRE(buckets.size() == 23);
      CHECK(buckets[0]["le_ms"] == 0.001);
      CHECK(buckets[9]["le_ms"] == 1);
      CHECK(buckets[21]["le_ms"] == 10000);
      CHECK(buckets[22]["le_ms"].is_null());
      uint64_t total = 0;
      for (const json &bucket : buckets)
        total += bucket["count"].get<uint64_t>();
      CHECK(total == 3);
      CHECK(figures["count"] == 3);
    }
  }
}
