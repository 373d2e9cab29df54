// Unit tests of load balancing's pure parts: a rule's list of upstream URLs, the
// round-robin picks, passive health and the retry decision.
#include "upstream/retry_policy.hpp"
#include "upstream/upstream_group.hpp"
#include "upstream/upstream_server.hpp"
#include "upstream/upstream_url.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace flexilib;
using namespace flexilib::upstream;

namespace {

constexpr Clock::rep fail_timeout = 1000; // ticks; the tests pass `now` themselves

UpstreamGroup group_of(std::initializer_list<const char *> urls,
                       std::vector<std::shared_ptr<UpstreamServer>> *servers = nullptr) {
  std::vector<GroupMember> members;
  for (const char *text : urls) {
    UpstreamUrl url = *parse_upstream_url(text).url;
    // Private servers, not the shared table: each test starts from a clean health.
    auto server = std::make_shared<UpstreamServer>(server_name(url));
    if (servers != nullptr) servers->push_back(server);
    members.push_back({std::move(url), std::move(server)});
  }
  return UpstreamGroup(std::move(members), fail_timeout);
}

std::vector<size_t> picks(const UpstreamGroup &group, int count, Clock::rep now) {
  std::vector<size_t> chosen;
  for (int i = 0; i < count; ++i)
    chosen.push_back(group.pick(now));
  return chosen;
}

} // namespace

TEST_CASE("upstream list: one URL or several separated by blanks", "[upstream][balance]") {
  const UrlListParse one = parse_upstream_list("http://127.0.0.1:3000/v1");
  REQUIRE(one.error.empty());
  REQUIRE(one.urls.size() == 1);
  CHECK(one.urls[0].path == "/v1");

  const UrlListParse two = parse_upstream_list("http://127.0.0.1:3000  \thttp://[::1]:3001/x ");
  REQUIRE(two.error.empty());
  REQUIRE(two.urls.size() == 2);
  CHECK(two.urls[0].port == 3000);
  CHECK(two.urls[1].host == "::1");
  CHECK(two.urls[1].text == "http://[::1]:3001/x");
}

TEST_CASE("upstream list: a bad item is named with its place", "[upstream][balance]") {
  CHECK_THAT(parse_upstream_list("http://a:1 ftp://b").error,
             Catch::StartsWith("upstream 2 of 2 \"ftp://b\" is not usable: "));
  CHECK_THAT(parse_upstream_list("http://a:1 https://b").error, Catch::Contains("https"));
  CHECK_THAT(parse_upstream_list("http://a:99999 http://b").error,
             Catch::StartsWith("upstream 1 of 2 \"http://a:99999\""));
  CHECK_THAT(parse_upstream_list("http://a:1 ./lib.so").error, Catch::Contains("./lib.so"));
  // One URL keeps the words a single upstream always had.
  CHECK_THAT(parse_upstream_list("https://x").error,
             Catch::StartsWith("the upstream \"https://x\" is not usable: https"));
  CHECK(parse_upstream_list("   ").error == "no upstream URL");
}

TEST_CASE("upstream servers: one per host and port, shared", "[upstream][balance]") {
  const auto a = shared_server(*parse_upstream_url("http://127.0.0.1:3000/a").url);
  const auto b = shared_server(*parse_upstream_url("http://127.0.0.1:3000/b").url);
  const auto c = shared_server(*parse_upstream_url("http://127.0.0.1:3001").url);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a->name() == "127.0.0.1:3000");
  CHECK(server_name(*parse_upstream_url("http://[::1]:80").url) == "[::1]:80");
}

TEST_CASE("round-robin: each upstream in turn", "[upstream][balance]") {
  const UpstreamGroup group = group_of({"http://a:1", "http://b:2", "http://c:3"});
  CHECK(picks(group, 6, 0) == std::vector<size_t>{0, 1, 2, 0, 1, 2});
  const UpstreamGroup single = group_of({"http://a:1"});
  CHECK(picks(single, 3, 0) == std::vector<size_t>{0, 0, 0});
}

TEST_CASE("passive health: a refused upstream is skipped until the fail timeout passes",
          "[upstream][balance]") {
  std::vector<std::shared_ptr<UpstreamServer>> servers;
  const UpstreamGroup group = group_of({"http://a:1", "http://b:2", "http://c:3"}, &servers);
  servers[1]->count_failure(FailureKind::refused, 100, fail_timeout);
  CHECK_FALSE(servers[1]->up_at(100));
  CHECK_FALSE(servers[1]->up_at(100 + fail_timeout - 1));
  // The others alternate evenly while b is down.
  CHECK(picks(group, 4, 500) == std::vector<size_t>{0, 2, 0, 2});
  // Back after the timeout, in its turn.
  const std::vector<size_t> later = picks(group, 3, 100 + fail_timeout);
  CHECK(std::count(later.begin(), later.end(), 1) == 1);
  CHECK(servers[1]->up_at(100 + fail_timeout));
}

TEST_CASE("passive health: which failures take an upstream out", "[upstream][balance]") {
  for (FailureKind kind : {FailureKind::refused, FailureKind::connect_timeout, FailureKind::broken,
                           FailureKind::timed_out}) {
    UpstreamServer server("x:1");
    server.count_failure(kind, 0, fail_timeout);
    CHECK_FALSE(server.up_at(1));
    CHECK(server.figures().failures == 1);
  }
  for (FailureKind kind : {FailureKind::stale_connection, FailureKind::bad_answer}) {
    UpstreamServer server("x:1");
    server.count_failure(kind, 0, fail_timeout);
    CHECK(server.up_at(1));
    CHECK(server.figures().failures == 1);
  }
  UpstreamServer never("x:1"); // UPSTREAM_FAIL_TIMEOUT_S=0
  never.count_failure(FailureKind::refused, 0, 0);
  CHECK(never.up_at(0));
}

TEST_CASE("passive health: a later failure extends, an earlier one never shortens",
          "[upstream][balance]") {
  UpstreamServer server("x:1");
  server.count_failure(FailureKind::refused, 500, fail_timeout);
  server.count_failure(FailureKind::refused, 200, fail_timeout); // a slower thread's news
  CHECK(server.down_until() == 500 + fail_timeout);
  server.count_failure(FailureKind::timed_out, 900, fail_timeout);
  CHECK(server.down_until() == 900 + fail_timeout);
}

TEST_CASE("passive health: when every upstream is down, the one back first is tried",
          "[upstream][balance]") {
  std::vector<std::shared_ptr<UpstreamServer>> servers;
  const UpstreamGroup group = group_of({"http://a:1", "http://b:2", "http://c:3"}, &servers);
  servers[0]->count_failure(FailureKind::refused, 300, fail_timeout);
  servers[1]->count_failure(FailureKind::refused, 100, fail_timeout);
  servers[2]->count_failure(FailureKind::refused, 200, fail_timeout);
  CHECK(group.pick(400) == 1);
  const UpstreamGroup single = group_of({"http://a:1"}, &servers);
  servers.back()->count_failure(FailureKind::refused, 0, fail_timeout);
  CHECK(single.pick(1) == 0); // never "no live upstreams"
}

TEST_CASE("retry target: another upstream that is up, else the same on a new connection",
          "[upstream][balance]") {
  std::vector<std::shared_ptr<UpstreamServer>> servers;
  const UpstreamGroup group = group_of({"http://a:1", "http://b:2", "http://c:3"}, &servers);
  CHECK(group.pick_retry(0, 0) == 1);
  CHECK(group.pick_retry(2, 0) == 0);
  servers[1]->count_failure(FailureKind::refused, 0, fail_timeout);
  CHECK(group.pick_retry(0, 1) == 2);
  servers[2]->count_failure(FailureKind::refused, 10, fail_timeout);
  CHECK(group.pick_retry(0, 11) == 1); // both others down: the one back first
  const UpstreamGroup single = group_of({"http://a:1"});
  CHECK(single.pick_retry(0, 0) == 0);
}

TEST_CASE("retry decision: nginx's proxy_next_upstream error timeout, non_idempotent off",
          "[upstream][balance]") {
  using K = FailureKind;
  for (const char *method : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"}) {
    CHECK(is_idempotent(method));
    for (K kind : {K::refused, K::connect_timeout, K::stale_connection, K::broken, K::timed_out})
      CHECK(should_retry(method, {kind, false}));
  }
  for (const char *method : {"POST", "PATCH", "LOCK", "get"}) {
    CHECK_FALSE(is_idempotent(method));
    CHECK(should_retry(method, {K::refused, false}));         // nothing reached the upstream
    CHECK(should_retry(method, {K::connect_timeout, false})); // nor here
    CHECK_FALSE(should_retry(method, {K::broken, false}));    // it may have acted on it
    CHECK_FALSE(should_retry(method, {K::stale_connection, false}));
    CHECK_FALSE(should_retry(method, {K::timed_out, false}));
  }
  CHECK_FALSE(should_retry("GET", {K::refused, true})); // the client saw part of an answer
  CHECK_FALSE(should_retry("GET", {K::bad_answer, false}));
}

TEST_CASE("upstream figures: attempts, retries, failures and head latency add up",
          "[upstream][balance]") {
  UpstreamServer server("x:1");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        server.count_attempt(i % 10 == 0);
        if (i % 2 == 0)
          server.count_answer(std::chrono::milliseconds(2));
        else
          server.count_failure(FailureKind::stale_connection, 0, fail_timeout);
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  const ServerFigures figures = server.figures();
  CHECK(figures.requests == 4000);
  CHECK(figures.retries == 400);
  CHECK(figures.answered == 2000);
  CHECK(figures.failures == 2000);
  CHECK(figures.head_ms_total == Approx(4000.0));
}
