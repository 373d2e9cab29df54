// Integration tests of upstream rules: flexilib forwards to an httplib::Server that
// the test runs in a thread of its own process, which records every request it gets
// and the client port of each (one port per connection, so they count connections).
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <set>

using namespace flexilib::test;

namespace {

struct ReceivedRequest {
  std::string method, path, body;
  httplib::Headers headers;
};

// An upstream answering every path and method. The request's X-Status sets the
// status it answers; X-Sleep-Ms makes it wait that long first (a slow backend).
class RecordingUpstream {
public:
  RecordingUpstream() {
    const auto answer = [this](const httplib::Request &request, httplib::Response &response) {
      {
        std::lock_guard lock(mutex_);
        received_.push_back({request.method, request.path, request.body, request.headers});
        client_ports_.insert(request.remote_port);
      }
      if (request.has_header("X-Hold")) { // answered once the test calls release()
        std::unique_lock lock(mutex_);
        released_.wait(lock, [this] { return !holding_; });
      }
      if (request.has_header("X-Sleep-Ms"))
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::stoi(request.get_header_value("X-Sleep-Ms"))));
      response.status =
          request.has_header("X-Status") ? std::stoi(request.get_header_value("X-Status")) : 200;
      response.set_header("Connection", "X-Upstream-Secret");
      response.set_header("X-Upstream-Secret", "only for the hop");
      response.set_header("Proxy-Authenticate", "Basic");
      response.set_header("X-Upstream-Kept", "yes");
      response.set_content(request.method + " " + request.path + "\n" + request.body,
                           "application/x-echo");
    };
    server_.Get(".*", answer)
        .Post(".*", answer)
        .Put(".*", answer)
        .Patch(".*", answer)
        .Delete(".*", answer)
        .Options(".*", answer);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    REQUIRE(eventually([this] { return server_.is_running(); }));
  }
  ~RecordingUpstream() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<ReceivedRequest> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // Requests with an X-Hold field wait for this.
  void release() {
    {
      std::lock_guard lock(mutex_);
      holding_ = false;
    }
    released_.notify_all();
  }
  size_t connections() const {
    std::lock_guard lock(mutex_);
    return client_ports_.size();
  }

private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> received_;
  std::set<int> client_ports_;
  std::condition_variable released_;
  bool holding_ = true;
};

// A port nothing listens on: bound, read and closed again.
int unused_port() {
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(socket, reinterpret_cast<sockaddr *>(&address), length) == 0);
  REQUIRE(::getsockname(socket, reinterpret_cast<sockaddr *>(&address), &length) == 0);
  ::close(socket);
  return ntohs(address.sin_port);
}

bool stderr_has(ServerProcess &server, const std::string &a, const std::string &b) {
  return server
      .wait_for_stderr([&](const std::string &line) {
        return line.find(a) != std::string::npos && line.find(b) != std::string::npos;
      })
      .has_value();
}

} // namespace

TEST_CASE("proxy: methods, targets and bodies round-trip through an upstream", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/api = " + upstream.url() + "/v1\n");
  auto client = client_for(*server);

  auto get = client.Get("/api/users?page=2");
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == "GET /v1/users\n");
  CHECK(get->get_header_value("Content-Type") == "application/x-echo");
  CHECK(get->get_header_value("X-Upstream-Kept") == "yes");

  for (const char *method : {"POST", "PUT", "PATCH", "DELETE"}) {
    httplib::Request request;
    request.method = method;
    request.path = "/api";
    request.body = std::string("body of ") + method;
    request.set_header("Content-Type", "text/plain");
    auto response = client.send(request);
    REQUIRE(response);
    CHECK(response->body == std::string(method) + " /v1\nbody of " + method);
  }
  auto options = client.Options("/api/x");
  REQUIRE(options);
  CHECK(options->body == "OPTIONS /v1/x\n");

  const auto received = upstream.received();
  REQUIRE(received.size() == 6);
  CHECK(received[1].method == "POST");
  CHECK(received[1].body == "body of POST");
  CHECK(received[1].headers.find("Content-Type")->second == "text/plain");
}

TEST_CASE("proxy: hop-by-hop fields are dropped both ways and forwarding fields added", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n");
  auto client = client_for(*server);
  const httplib::Headers sent = {{"Connection", "X-Client-Secret"},
                                 {"X-Client-Secret", "only for the hop"},
                                 {"Keep-Alive", "timeout=300"},
                                 {"TE", "trailers"},
                                 {"Upgrade", "websocket"},
                                 {"Proxy-Authorization", "Basic eA=="},
                                 {"Proxy-Connection", "keep-alive"},
                                 {"X-Forwarded-For", "10.1.2.3"},
                                 {"Via", "1.1 edge"},
                                 {"X-Kept", "yes"}};
  auto response = client.Get("/hop", sent);
  REQUIRE(response);
  CHECK(response->status == 200);

  const auto received = upstream.received();
  REQUIRE(received.size() == 1);
  const httplib::Headers &headers = received[0].headers;
  for (const char *dropped : {"X-Client-Secret", "Keep-Alive", "TE", "Upgrade",
                              "Proxy-Authorization", "Proxy-Connection"})
    CHECK(headers.count(dropped) == 0);
  CHECK(headers.find("X-Kept")->second == "yes");
  CHECK(headers.find("X-Forwarded-For")->second == "10.1.2.3, 127.0.0.1");
  CHECK(headers.find("X-Forwarded-Proto")->second == "http");
  CHECK(headers.find("X-Forwarded-Host")->second == "127.0.0.1:" + std::to_string(server->port()));
  CHECK(headers.find("Via")->second == "1.1 edge, 1.1 flexilib");
  CHECK(headers.find("Host")->second == "127.0.0.1:" + std::to_string(server->port()));

  CHECK_FALSE(response->has_header("X-Upstream-Secret"));
  CHECK_FALSE(response->has_header("Proxy-Authenticate"));
  CHECK(response->get_header_value("X-Upstream-Kept") == "yes");
  CHECK(response->get_header_value("Via") == "1.1 flexilib");
}

TEST_CASE("proxy: the upstream's status codes reach the client", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n");
  auto client = client_for(*server);
  for (int status : {201, 404, 503}) {
    auto response = client.Get("/status", {{"X-Status", std::to_string(status)}});
    REQUIRE(response);
    CHECK(response->status == status);
    CHECK(response->body == "GET /status\n");
  }
}

TEST_CASE("proxy: nothing listening upstream gives 502 and a log line naming it", "[proxy]") {
  TempDir dir;
  const std::string url = "http://127.0.0.1:" + std::to_string(unused_port());
  auto server = start_server(dir, "/ = " + url + "\n");
  auto response = client_for(*server).Get("/nobody");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(stderr_has(*server, "upstream " + url, "refused"));
}

TEST_CASE("proxy: an upstream slower than UPSTREAM_READ_TIMEOUT_MS gives 504", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server =
      start_server(dir, "/ = " + upstream.url() + "\n", {{"UPSTREAM_READ_TIMEOUT_MS", "200"}});
  auto response = client_for(*server).Get("/slow", {{"X-Sleep-Ms", "1500"}});
  REQUIRE(response);
  CHECK(response->status == 504);
  CHECK(stderr_has(*server, "upstream " + upstream.url(), "UPSTREAM_READ_TIMEOUT_MS"));
}

TEST_CASE("proxy: one serving thread reuses its upstream connection", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n", {{"SERVER_THREAD_COUNT", "1"}});
  auto client = client_for(*server);
  for (int i = 0; i < 10; ++i) {
    auto response = client.Get("/again");
    REQUIRE(response);
    REQUIRE(response->status == 200);
  }
  CHECK(upstream.received().size() == 10);
  CHECK(upstream.connections() >= 1);
  CHECK(upstream.connections() <= 2);
}

// The relay parks with its connection while the upstream has not answered: with one
// serving thread, proxied requests all wait at once and a library route still answers.
// A relay that held its thread would send the upstream one request at a time, and the
// library's request would wait behind it.
TEST_CASE("proxy: no serving thread waits for an upstream: others are served meanwhile",
          "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir,
                             "/lib = " + build_path("executors/libflexilib-example.so") +
                                 "\n/ = " + upstream.url() + "\n",
                             {{"SERVER_THREAD_COUNT", "1"}});
  constexpr size_t held = 4;
  std::vector<std::future<httplib::Result>> pending;
  for (size_t i = 0; i < held; ++i)
    pending.push_back(std::async(std::launch::async, [&server, i] {
      auto client = client_for(*server);
      client.set_read_timeout(30, 0);
      return client.Get("/held/" + std::to_string(i), {{"X-Hold", "1"}});
    }));
  const bool all_upstream = eventually([&] { return upstream.received().size() == held; });
  auto library = client_for(*server).Get("/lib/x");
  upstream.release();
  CHECK(all_upstream); // every proxied request reached the upstream while none was answered
  REQUIRE(library);
  CHECK(library->status == 200);
  for (size_t i = 0; i < held; ++i) {
    auto response = pending[i].get();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "GET /held/" + std::to_string(i) + "\n");
  }
  // Each is in the request log once, when its answer went out.
  for (size_t i = 0; i < held; ++i)
    CHECK(server->wait_for_stdout([&](const std::string &line) {
      return line.find("\"GET /held/" + std::to_string(i) + " HTTP/1.1\" 200 ttfb") !=
             std::string::npos;
    }));
}

// A parked relay is a request in flight: SIGTERM lets it finish, then the server exits 0.
TEST_CASE("proxy: SIGTERM lets parked proxied requests finish, then exits 0", "[proxy][shutdown]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n", {{"SERVER_THREAD_COUNT", "1"}});
  constexpr size_t held = 3;
  std::vector<std::future<httplib::Result>> pending;
  for (size_t i = 0; i < held; ++i)
    pending.push_back(std::async(std::launch::async, [&server, i] {
      auto client = client_for(*server);
      client.set_read_timeout(30, 0);
      return client.Get("/held/" + std::to_string(i), {{"X-Hold", "1"}});
    }));
  REQUIRE(eventually([&] { return upstream.received().size() == held; }));
  server->send_signal(SIGTERM);
  // Still running for them: the answers come once the upstream gives them.
  CHECK_FALSE(server->wait_exit(300ms).has_value());
  upstream.release();
  for (size_t i = 0; i < held; ++i) {
    auto response = pending[i].get();
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "GET /held/" + std::to_string(i) + "\n");
  }
  auto status = server->wait_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("proxy: a 20 MB body goes up and comes back whole", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n", {{"MAX_BODY_KB", "30000"}});
  std::string body(20 * 1024 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i)
    body[i] = char('a' + i % 26);
  auto client = client_for(*server);
  // The upstream (in this test process) takes the whole body before it echoes it: under
  // ThreadSanitizer on a busy machine that alone can outlast the client's usual 5 s.
  client.set_read_timeout(std::chrono::seconds(60));
  auto response = client.Post("/big", body, "application/octet-stream");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body.size() == body.size() + std::string("POST /big\n").size());
  CHECK(response->body == "POST /big\n" + body);
  REQUIRE(upstream.received().size() == 1);
  CHECK(upstream.received()[0].body == body);
}

TEST_CASE("proxy: a Host rule sends one virtual host to an upstream, Host unchanged", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "Host: api.test / = " + upstream.url() + "\n");
  auto client = client_for(*server);
  auto routed = client.Get("/thing", {{"Host", "api.test"}});
  REQUIRE(routed);
  CHECK(routed->status == 200);
  auto other = client.Get("/thing", {{"Host", "www.test"}});
  REQUIRE(other);
  CHECK(other->status == 404);

  const auto received = upstream.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].headers.find("Host")->second == "api.test");
  CHECK(received[0].headers.find("X-Forwarded-Host")->second == "api.test");
}

TEST_CASE("proxy: proxied requests are in the request log with their status", "[proxy]") {
  RecordingUpstream upstream;
  TempDir dir;
  auto server = start_server(dir, "/ = " + upstream.url() + "\n");
  auto response = client_for(*server).Get("/logged", {{"X-Status", "201"}});
  REQUIRE(response);
  CHECK(server->wait_for_stdout([](const std::string &line) {
    return line.find("\"GET /logged HTTP/1.1\" 201 ttfb") != std::string::npos;
  }));
}

TEST_CASE("proxy: --check refuses an https upstream and a bad port with their lines", "[proxy]") {
  TempDir dir;
  dir.write_file("proxy.ini", "/a = http://127.0.0.1:1\n/b = https://example.com\n"
                              "/c = http://127.0.0.1:99999\n");
  ServerOptions options;
  options.working_directory = dir.path();
  options.args = {"--check", "proxy.ini"};
  ServerProcess check(options);
  REQUIRE(check.launch());
  const auto status = check.wait_exit();
  REQUIRE(status);
  REQUIRE(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  const std::string errors = check.stderr_text();
  CHECK(errors.find("proxy.ini:2:") != std::string::npos);
  CHECK(errors.find("https upstreams are not supported") != std::string::npos);
  CHECK(errors.find("proxy.ini:3:") != std::string::npos);
  CHECK(errors.find("proxy.ini:1:") == std::string::npos);
}
