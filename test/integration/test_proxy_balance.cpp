// Integration tests of a rule with several upstreams: round-robin, passive health
// (a dead upstream is skipped, and used again after UPSTREAM_FAIL_TIMEOUT_S), the one
// retry (GET after a refused or broken attempt; POST only when nothing was sent), a
// keep-alive connection the upstream closed, and the upstreams' figures in /routes
// and /stats. The backends run in this process: cpp-httplib servers that name
// themselves, and raw-socket ones that misbehave on purpose.
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

using namespace flexilib::test;
using nlohmann::json;

namespace {

// A backend answering every GET and POST with its name and the path.
class NamedBackend {
public:
  explicit NamedBackend(std::string name, int port = 0) : name_(std::move(name)) {
    const auto answer = [this](const httplib::Request &request, httplib::Response &response) {
      ++requests_;
      response.set_content(name_ + " " + request.method + " " + request.path, "text/plain");
    };
    server_.Get(".*", answer).Post(".*", answer);
    if (port == 0)
      port_ = server_.bind_to_any_port("127.0.0.1");
    else {
      REQUIRE(server_.bind_to_port("127.0.0.1", port));
      port_ = port;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    REQUIRE(eventually([this] { return server_.is_running(); }));
  }
  ~NamedBackend() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

private:
  std::string name_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

// A listening socket whose connections a test-given function serves, one at a time,
// on a thread of its own: for backends that break the rules on purpose.
class RawBackend {
public:
  using Serve = std::function<void(int fd)>;
  explicit RawBackend(Serve serve) : serve_(std::move(serve)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr *>(&address), length) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~RawBackend() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

private:
  void accept_loop() {
    while (!stopping_) {
      pollfd entry{listener_, POLLIN, 0};
      if (::poll(&entry, 1, 50) <= 0) continue;
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      serve_(fd);
      ::close(fd);
    }
  }

  Serve serve_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
};

// Reads one request head (and a Content-Length body) from `fd`: false when the
// connection ended first or nothing came for 5 s.
bool read_request(int fd) {
  std::string data;
  char buffer[4096];
  for (;;) {
    const size_t head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t body = 0;
      const size_t at = data.find("Content-Length: ");
      if (at != std::string::npos && at < head_end) body = std::stoul(data.substr(at + 16));
      if (data.size() >= head_end + 4 + body) return true;
    }
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 5000) <= 0) return false;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    data.append(buffer, size_t(got));
  }
}

void send_text(int fd, const std::string &text) {
  (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
}

const std::string ok_answer = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nraw says\n";

// A port nothing listens on (bound a moment ago, then closed).
int dead_port() {
  return fixed_free_port();
}

std::string dead_url(int port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

struct Proxy {
  std::unique_ptr<ServerProcess> server;
  int admin_port = 0;
};

Proxy start_proxy(const TempDir &dir, const std::string &config,
                  std::map<std::string, std::string> env = {}) {
  env.emplace("ADMIN_PORT", "0");
  env.emplace("SERVER_THREAD_COUNT", "2");
  Proxy proxy{start_server(dir, config, env)};
  proxy.admin_port = proxy.server->announced_port("admin");
  return proxy;
}

json admin_get(int port, const char *path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  auto result = client.Get(path);
  REQUIRE(result);
  REQUIRE(result->status == 200);
  return json::parse(result->body);
}

// The route's upstreams as /routes shows them, by URL.
json upstreams_of_route(int admin_port, size_t route = 0) {
  return admin_get(admin_port, "/routes")["routes"][route]["upstreams"];
}

json upstream_entry(int admin_port, const std::string &url) {
  for (const json &entry : upstreams_of_route(admin_port))
    if (entry["url"] == url) return entry;
  FAIL("no upstream " << url << " in /routes");
  return {};
}

std::string body_of(httplib::Result result) {
  REQUIRE(result);
  INFO(result->body);
  REQUIRE(result->status == 200);
  return result->body;
}

} // namespace

TEST_CASE("balance: requests alternate between a rule's upstreams", "[proxy][balance]") {
  NamedBackend a("a"), b("b");
  TempDir dir;
  auto proxy = start_proxy(dir, "/api = " + a.url() + " " + b.url() + "\n");
  auto client = client_for(*proxy.server);
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i)
    names.push_back(body_of(client.Get("/api/x")).substr(0, 1));
  for (size_t i = 1; i < names.size(); ++i)
    CHECK(names[i] != names[i - 1]);
  CHECK(a.requests() == 3);
  CHECK(b.requests() == 3);

  const json upstreams = upstreams_of_route(proxy.admin_port);
  REQUIRE(upstreams.size() == 2);
  CHECK(upstreams[0]["url"] == a.url());
  CHECK(upstreams[0]["state"] == "up");
  CHECK(upstreams[0]["down_until"].is_null());
  CHECK(upstreams[0]["requests"] == 3);
  CHECK(upstreams[0]["failures"] == 0);
  CHECK(upstreams[1]["requests"] == 3);
}

TEST_CASE("balance: a dead upstream is skipped, and used again after UPSTREAM_FAIL_TIMEOUT_S",
          "[proxy][balance]") {
  NamedBackend live("live");
  const int port = dead_port();
  TempDir dir;
  auto proxy = start_proxy(dir, "/ = " + dead_url(port) + " " + live.url() + "\n",
                           {{"UPSTREAM_FAIL_TIMEOUT_S", "1"}});
  auto client = client_for(*proxy.server);

  // The first request meets the dead one, is retried on the live one: 200.
  CHECK(body_of(client.Get("/one")) == "live GET /one");
  json dead = upstream_entry(proxy.admin_port, dead_url(port));
  CHECK(dead["state"] == "down");
  CHECK(dead["down_until"].is_string());
  CHECK(dead["requests"] == 1);
  CHECK(dead["failures"] == 1);
  CHECK(upstream_entry(proxy.admin_port, live.url())["retries"] == 1);
  httplib::Client admin("127.0.0.1", proxy.admin_port);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  const std::string dead_server = "server=\"127.0.0.1:" + std::to_string(port) + "\"";
  CHECK_THAT(
      metrics->body,
      Catch::Contains("flexilib_upstream_up{" + dead_server + "} 0") &&
          Catch::Contains("flexilib_upstream_failures_total{" + dead_server + "} 1") &&
          Catch::Contains("flexilib_upstream_up{server=\"" + live.url().substr(7) + "\"} 1"));

  // While it is down, nothing is sent to it.
  for (int i = 0; i < 4; ++i)
    CHECK(body_of(client.Get("/more")) == "live GET /more");
  CHECK(upstream_entry(proxy.admin_port, dead_url(port))["requests"] == 1);

  // It comes to life; after the fail timeout it gets its turn again.
  NamedBackend revived("revived", port);
  CHECK(eventually(
      [&] { return upstream_entry(proxy.admin_port, dead_url(port))["state"] == "up"; }, 5s));
  CHECK(eventually([&] { return body_of(client.Get("/back")) == "revived GET /back"; }, 5s));
}

TEST_CASE("balance: a GET to a refused upstream is retried and answered 200", "[proxy][balance]") {
  NamedBackend live("live");
  const int port = dead_port();
  TempDir dir;
  // The fail timeout is off, so every other request meets the refusal first.
  auto proxy = start_proxy(dir, "/ = " + dead_url(port) + " " + live.url() + "\n",
                           {{"UPSTREAM_FAIL_TIMEOUT_S", "0"}});
  auto client = client_for(*proxy.server);
  for (int i = 0; i < 4; ++i)
    CHECK(body_of(client.Get("/get")) == "live GET /get");
  // Refused means nothing was sent: a POST is retried too.
  CHECK(body_of(client.Post("/post", "data", "text/plain")) == "live POST /post");
  CHECK(proxy.server->wait_for_stderr([&](const std::string &line) {
    return line.find("upstream " + dead_url(port)) != std::string::npos &&
           line.find("retried on " + live.url()) != std::string::npos;
  }));
  CHECK(upstream_entry(proxy.admin_port, dead_url(port))["state"] == "up"); // never marked
}

TEST_CASE("balance: a POST the upstream received is not retried, a GET is", "[proxy][balance]") {
  // It reads each request whole, then hangs up without an answer.
  RawBackend swallower([](int fd) { read_request(fd); });
  NamedBackend live("live");
  TempDir dir;
  auto proxy = start_proxy(dir, "/ = " + swallower.url() + " " + live.url() + "\n",
                           {{"UPSTREAM_FAIL_TIMEOUT_S", "0"}});
  auto client = client_for(*proxy.server);

  // The rotation starts at the swallower.
  auto post = client.Post("/pay", "once", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 502);
  CHECK(live.requests() == 0);
  CHECK(swallower.connections() == 1);

  auto skip = client.Get("/turn"); // the live one's turn
  CHECK(body_of(std::move(skip)) == "live GET /turn");
  CHECK(body_of(client.Get("/again")) == "live GET /again"); // retried after the swallower
  CHECK(swallower.connections() == 2);
}

TEST_CASE("balance: a keep-alive connection the upstream closed costs no 502", "[proxy][balance]") {
  // Answers the first request of each connection and keeps it open; the next
  // request on it finds the connection closed (as when the upstream's idle timeout
  // ends it just as a request comes).
  RawBackend closer([](int fd) {
    if (!read_request(fd)) return;
    send_text(fd, ok_answer);
    read_request(fd); // the next one gets no answer
  });
  TempDir dir;
  auto proxy = start_proxy(dir, "/ = " + closer.url() + "\n", {{"SERVER_THREAD_COUNT", "1"}});
  auto client = client_for(*proxy.server);
  for (int i = 0; i < 4; ++i)
    CHECK(body_of(client.Get("/x")) == "raw says\n");
  CHECK(closer.connections() >= 4);
}

TEST_CASE("balance: /stats lists every upstream server once", "[proxy][balance]") {
  NamedBackend a("a"), b("b");
  TempDir dir;
  auto proxy =
      start_proxy(dir, "/one = " + a.url() + " " + b.url() + "\n/two = " + a.url() +
                           "/v2\n/lib = " + build_path("executors/libflexilib-example.so") + "\n");
  auto client = client_for(*proxy.server);
  body_of(client.Get("/one"));
  body_of(client.Get("/one"));
  body_of(client.Get("/two"));
  const json stats = admin_get(proxy.admin_port, "/stats")["upstreams"];
  REQUIRE(stats.size() == 2);
  const std::string a_name = a.url().substr(7), b_name = b.url().substr(7);
  CHECK(stats[a_name]["requests"] == 2); // shared by both rules that name it
  CHECK(stats[b_name]["requests"] == 1);
  CHECK(stats[a_name]["state"] == "up");
  CHECK(stats[a_name]["mean_head_ms"].is_number());
  const json routes = admin_get(proxy.admin_port, "/routes")["routes"];
  CHECK(routes[2]["upstreams"].is_null()); // a library route
}

TEST_CASE("balance: a bad upstream list is a config error naming the line and the item",
          "[proxy][balance]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/ok = http://127.0.0.1:3000 http://127.0.0.1:3001\n"
                              "/bad = http://127.0.0.1:3000 http://127.0.0.1:99999\n");
  ServerProcess check({dir.path(), {"--check", "proxy.ini"}, {}});
  REQUIRE(check.launch());
  const std::optional<int> status = check.wait_exit();
  REQUIRE(status);
  CHECK(WEXITSTATUS(*status) != 0);
  CHECK_THAT(check.stderr_text(), Catch::Contains("proxy.ini:2:") &&
                                      Catch::Contains("upstream 2 of 2") &&
                                      Catch::Contains("99999"));
  CHECK_THAT(check.stderr_text(), !Catch::Contains("proxy.ini:1:"));
}
