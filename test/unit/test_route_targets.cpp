// Unit tests of route targets without a server: which kind the factory makes from a
// proxy.ini target, what each reports for /routes, --check and the figures, and
// first-match routing over a table of routes.
#include "loader/route_table.hpp"
#include "targets/target_factory.hpp"

#include <catch2/catch.hpp>

using namespace flexilib;

namespace {

struct Made {
  loader::LibraryRegistry registry{loader::EventSink()};
  std::unique_ptr<const targets::RouteTarget> target;
};

std::unique_ptr<Made> make(std::string_view text, const std::string &config = "/etc/fl/proxy.ini") {
  auto made = std::make_unique<Made>();
  REQUIRE(targets::target_problem(text).empty());
  made->target = targets::make_route_target(
      text, config, [&](const std::string &path) { return made->registry.slot_for(path); }, {});
  return made;
}

} // namespace

TEST_CASE("targets: the factory makes one kind per target text", "[targets]") {
  const auto plain = make("lib/libx.so");
  CHECK(plain->target->profile() == "flexilib");
  CHECK(plain->target->name() == "/etc/fl/lib/libx.so"); // resolved against the config's folder
  CHECK(plain->target->library_slot() != nullptr);

  const auto lambda = make("lambda:libx.so?timeout_ms=250");
  CHECK(lambda->target->profile() == "lambda");
  CHECK(lambda->target->name() == "/etc/fl/libx.so");

  const auto cloudflare = make("cloudflare:/opt/liby.so?cpu_ms=50");
  CHECK(cloudflare->target->profile() == "cloudflare");
  CHECK(cloudflare->target->name() == "/opt/liby.so");

  const auto upstream = make("http://127.0.0.1:3000/v1");
  CHECK(upstream->target->profile().empty());
  CHECK(upstream->target->name() == "http://127.0.0.1:3000/v1");
  CHECK(upstream->target->library_slot() == nullptr);
  CHECK(upstream->target->status().path == "http://127.0.0.1:3000/v1");
  CHECK(upstream->target->status().generation == 0);
}

TEST_CASE("targets: routes naming the same library share its slot", "[targets]") {
  loader::LibraryRegistry registry{loader::EventSink()};
  const auto slot_for = [&](const std::string &path) { return registry.slot_for(path); };
  const auto a = targets::make_route_target("libx.so", "proxy.ini", slot_for, {});
  const auto b = targets::make_route_target("lambda:libx.so", "proxy.ini", slot_for, {});
  CHECK(a->library_slot() == b->library_slot());
}

TEST_CASE("targets: a bad target is refused with the config error's words", "[targets]") {
  CHECK(targets::target_problem("libx.so").empty());
  CHECK_THAT(targets::target_problem("https://example.com"),
             Catch::StartsWith("the upstream \"https://example.com\" is not usable: https"));
  CHECK_THAT(targets::target_problem("lambda:x.so?memory_mb=64"),
             Catch::StartsWith("the target \"lambda:x.so?memory_mb=64\" memory_mb"));
  CHECK_THAT(targets::target_problem("cloudflare:"), Catch::Contains("names no library"));
}

TEST_CASE("targets: --check loads a library target and never an upstream", "[targets]") {
  CHECK_THAT(make("/nonexistent/libnothing.so")->target->check(),
             Catch::Contains("/nonexistent/libnothing.so"));
  CHECK_THAT(make("lambda:/nonexistent/libnothing.so")->target->check(),
             Catch::Contains("/nonexistent/libnothing.so"));
  CHECK(make("http://127.0.0.1:1/")->target->check().empty());
}

TEST_CASE("route table: the first matching route wins, with its target", "[targets]") {
  loader::Config config = loader::parse_config_text("Host: api /v1 = http://127.0.0.1:3000\n"
                                                    "/v1 = libv1.so\n"
                                                    "/ = lambda:libroot.so\n");
  REQUIRE(config.ok());
  loader::LibraryRegistry registry{loader::EventSink()};
  const auto table = loader::build_route_table("/srv/proxy.ini", config, registry, nullptr, {});
  REQUIRE(table->routes.size() == 3);
  CHECK(table->routes[0].name == "Host: api /v1");
  CHECK(table->routes[0].totals == nullptr); // built without statistics

  char name[] = "host", value[] = "api.local";
  flexilib_header host{name, 4, value, 9};
  const loader::Route *api = table->match("/v1/users", &host, 1);
  REQUIRE(api != nullptr);
  CHECK(api->target->name() == "http://127.0.0.1:3000");
  const loader::Route *v1 = table->match("/v1/users", nullptr, 0);
  REQUIRE(v1 != nullptr);
  CHECK(v1->target->name() == "/srv/libv1.so");
  const loader::Route *root = table->match("/other", nullptr, 0);
  REQUIRE(root != nullptr);
  CHECK(root->target->profile() == "lambda");
  CHECK(table->match("other", nullptr, 0) == nullptr);
}
