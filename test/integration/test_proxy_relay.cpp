// Integration tests of the streaming relay against upstreams the test scripts byte
// by byte (a raw socket server in this process): hostile heads and bodies, bodies cut
// short, streaming before the body's end, backpressure, flat memory for a large body,
// and stale keep-alive connections. After each hostile answer the server must still
// serve, and a client must never receive a response that looks complete but is not.
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <list>

using namespace flexilib::test;

namespace {

using Clock = std::chrono::steady_clock;

bool send_text(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    text.remove_prefix(size_t(sent));
  }
  return true;
}

// Reads one request head (up to the blank line); empty when the connection closed.
std::string read_head(int fd) {
  std::string head;
  char byte;
  while (!head.ends_with("\r\n\r\n")) {
    if (::recv(fd, &byte, 1, 0) != 1) return {};
    head.push_back(byte);
  }
  return head;
}

// An upstream whose every connection is answered by a function of the test, each on
// its own thread: it gets the socket and the first request's head.
class ScriptedUpstream {
public:
  using Script = std::function<void(int fd, const std::string &head)>;
  explicit ScriptedUpstream(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr *>(&address), length) == 0);
    REQUIRE(::listen(listener_, 64) == 0);
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr *>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~ScriptedUpstream() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : sockets_)
        ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread &thread : threads_)
      thread.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  int finished() const { return finished_; } // connections the script has ended

private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      ++connections_;
      std::lock_guard lock(mutex_);
      sockets_.push_back(fd);
      threads_.emplace_back([this, fd] {
        const std::string head = read_head(fd);
        if (!head.empty()) script_(fd, head);
        ::shutdown(fd, SHUT_RDWR);
        ++finished_;
      });
    }
  }

  Script script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> finished_{0};
  std::mutex mutex_;
  std::vector<int> sockets_;
  std::list<std::thread> threads_;
  std::thread acceptor_;
};

// A connection to the server that the test reads at its own pace.
class RawClient {
public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
  }
  ~RawClient() { ::close(fd_); }
  int fd() const { return fd_; }
  void send(const std::string &bytes) { REQUIRE(send_text(fd_, bytes)); }
  // Reads what comes within `wait`; returns it ("" on timeout), and sets closed on EOF.
  std::string read_some(Deadline wait, size_t most = 1 << 20) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, int(wait.count())) <= 0) return {};
    std::string bytes(most, '\0');
    const ssize_t got = ::recv(fd_, bytes.data(), bytes.size(), 0);
    if (got <= 0) {
      closed = true;
      return {};
    }
    bytes.resize(size_t(got));
    return bytes;
  }
  // Reads until `text` has come (true) or the deadline passes or the server closes.
  bool read_until(std::string &received, std::string_view text, Deadline deadline = 5s) {
    const auto end = Clock::now() + deadline;
    while (received.find(text) == std::string::npos) {
      if (closed || Clock::now() >= end) return false;
      received += read_some(50ms);
    }
    return true;
  }
  bool closed = false;

private:
  int fd_ = -1;
};

const std::string get_request = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

// The serving process's private memory: Pss_Anon in KiB (SUPERVISOR=off: the one
// process is the serving one).
long private_kib(pid_t pid) {
  std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string key;
  long value = 0;
  while (rollup >> key) {
    if (key == "Pss_Anon:") {
      rollup >> value;
      return value;
    }
  }
  return -1;
}

std::unique_ptr<ServerProcess> start_proxy(const TempDir &dir, const ScriptedUpstream &upstream,
                                           std::map<std::string, std::string> env = {}) {
  env.emplace("SUPERVISOR", "off");
  return start_server(dir, "/ = " + upstream.url() + "\n", std::move(env));
}

// A normal request still gets its answer: the server survived.
void check_still_serving(ServerProcess &server) {
  auto response = client_for(server).Get("/fine", {{"X-Fine", "1"}});
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "fine");
}

// Answers "fine" to a request carrying X-Fine, and otherwise runs `script`.
ScriptedUpstream::Script or_fine(ScriptedUpstream::Script script) {
  return [script](int fd, const std::string &head) {
    if (head.find("X-Fine: 1") != std::string::npos) {
      send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfine");
      return;
    }
    script(fd, head);
  };
}

bool stderr_has(ServerProcess &server, const std::string &text) {
  return server
      .wait_for_stderr(
          [&](const std::string &line) { return line.find(text) != std::string::npos; })
      .has_value();
}

} // namespace

TEST_CASE("relay: the head reaches the client before the body ends", "[proxy]") {
  std::atomic<bool> client_saw_head{false};
  ScriptedUpstream upstream(or_fine([&](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst");
    // The rest only once the client has the head and the first bytes: a proxy that
    // waits for the whole body never gets it.
    eventually([&] { return client_saw_head.load(); }, 5s);
    send_text(fd, "-rest");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  RawClient client(server->port());
  client.send(get_request);
  std::string received;
  REQUIRE(client.read_until(received, "\r\n\r\nfirst"));
  CHECK(received.find("Content-Length: 10\r\n") != std::string::npos);
  client_saw_head = true;
  REQUIRE(client.read_until(received, "first-rest"));
}

TEST_CASE("relay: ttfb in the log is the head's arrival, ttlb the body's end", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
    std::this_thread::sleep_for(400ms); // a slow body: the upstream's pace, not a sync
    send_text(fd, "cd");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  auto response = client_for(*server).Get("/timed");
  REQUIRE(response);
  CHECK(response->body == "abcd");
  const auto line = server->wait_for_stdout(
      [](const std::string &l) { return l.find("GET /timed") != std::string::npos; });
  REQUIRE(line);
  double ttfb = 0, ttlb = 0;
  REQUIRE(std::sscanf(line->c_str() + line->find("ttfb "), "ttfb %lfms", &ttfb) == 1);
  REQUIRE(std::sscanf(line->c_str() + line->find("ttlb "), "ttlb %lfms", &ttlb) == 1);
  CHECK(ttlb >= 350);
  CHECK(ttfb < ttlb - 250); // the head came at once, the body 400 ms later
}

TEST_CASE("relay: a body without a length goes chunked to HTTP/1.1, close-delimited to 1.0",
          "[proxy]") {
  ScriptedUpstream upstream([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  });
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  auto response = client_for(*server).Get("/close-delimited");
  REQUIRE(response);
  CHECK(response->body == "until the end");
  CHECK(response->get_header_value("Transfer-Encoding") == "chunked");

  const std::string old = raw_request(server->port(), "GET /x HTTP/1.0\r\n\r\n");
  CHECK(old.find("Transfer-Encoding") == std::string::npos);
  CHECK(old.find("Connection: close\r\n") != std::string::npos);
  CHECK(old.ends_with("\r\n\r\nuntil the end"));
}

TEST_CASE("relay: a chunked upstream body is re-framed, trailers dropped", "[proxy]") {
  ScriptedUpstream upstream([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  "5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
  });
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  auto response = client_for(*server).Get("/chunked");
  REQUIRE(response);
  CHECK(response->body == "hello world");
  const std::string old = raw_request(server->port(), "GET /x HTTP/1.0\r\n\r\n");
  CHECK(old.ends_with("\r\n\r\nhello world"));
}

TEST_CASE("relay: a head that never ends gives 504 after UPSTREAM_READ_TIMEOUT_MS", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nX-Slow: 1\r\n");
    read_head(fd); // holds the connection open until it is closed
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream, {{"UPSTREAM_READ_TIMEOUT_MS", "300"}});
  auto response = client_for(*server).Get("/endless");
  REQUIRE(response);
  CHECK(response->status == 504);
  CHECK(stderr_has(*server, "UPSTREAM_READ_TIMEOUT_MS"));
  check_still_serving(*server);
}

TEST_CASE("relay: a head that keeps growing gives 502 past PROXY_BUFFER_KB", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\n");
    const std::string line = "X-Filler: " + std::string(100, 'f') + "\r\n";
    for (int i = 0; i < 100000 && send_text(fd, line); ++i) {
    }
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream, {{"PROXY_BUFFER_KB", "8"}});
  auto response = client_for(*server).Get("/huge-head");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(stderr_has(*server, "a response head over PROXY_BUFFER_KB (8 KiB)"));
  check_still_serving(*server);
}

TEST_CASE("relay: 10,000 header fields give 502", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 10000; ++i)
      head += "a:" + std::to_string(i % 10) + "\r\n";
    send_text(fd, head + "Content-Length: 2\r\n\r\nok");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream, {{"PROXY_BUFFER_KB", "1024"}});
  auto response = client_for(*server).Get("/many");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(stderr_has(*server, "too many header fields"));
  check_still_serving(*server);
}

TEST_CASE("relay: a header with CR or LF inside is refused, never split", "[proxy]") {
  const auto injected = GENERATE(as<std::string>{}, "X-A: a\rSet-Cookie: evil=1",
                                 "X-A: a\nSet-Cookie: evil=1", "X-A: a\r\n Set-Cookie: evil=1");
  ScriptedUpstream upstream(or_fine([&](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\n" + injected + "\r\nContent-Length: 2\r\n\r\nok");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  const std::string answer =
      raw_request(server->port(), "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 502 "));
  CHECK(answer.find("evil") == std::string::npos);
  CHECK(stderr_has(*server, "an invalid response head"));
  check_still_serving(*server);
}

TEST_CASE("relay: a body shorter than its Content-Length cuts the client's connection", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  // Keep-alive asked for: the server must still close, as the body cannot be completed.
  const std::string answer = raw_request(server->port(), get_request);
  CHECK(answer.starts_with("HTTP/1.1 200 "));
  CHECK(answer.find("Content-Length: 100\r\n") != std::string::npos);
  CHECK(answer.ends_with("\r\n\r\nonly ten..")); // 10 of 100 bytes, then the close
  CHECK(stderr_has(*server, "bytes before the end of its Content-Length body"));
  check_still_serving(*server);
}

TEST_CASE("relay: an upstream closing mid-chunked-body cuts the client, no end chunk", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n8\r\nhal");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  const std::string answer = raw_request(server->port(), get_request);
  CHECK(answer.starts_with("HTTP/1.1 200 "));
  CHECK(answer.find("part") != std::string::npos);
  CHECK(answer.find("0\r\n\r\n") == std::string::npos); // never a complete chunked body
  CHECK(stderr_has(*server, "before the end of its chunked body"));
  // And through a real client: an error, not a short body taken as whole.
  auto response = client_for(*server).Get("/cut");
  CHECK_FALSE(response);
  check_still_serving(*server);
}

TEST_CASE("relay: a malformed chunked body cuts the client's connection", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npart\r\n");
    std::this_thread::sleep_for(100ms); // the upstream's pace: the head has gone out first
    send_text(fd, "4\r\npartXX\r\n0\r\n\r\n");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  const std::string answer = raw_request(server->port(), get_request);
  CHECK(answer.starts_with("HTTP/1.1 200 "));
  const std::string body = answer.substr(answer.find("\r\n\r\n") + 4);
  CHECK(body.starts_with("4\r\npart\r\n"));
  CHECK(body.find("0\r\n\r\n") == std::string::npos); // never a complete chunked body
  CHECK(stderr_has(*server, "a malformed chunked body"));
  check_still_serving(*server);
}

TEST_CASE("relay: a malformed chunked body before any byte went out gives 502", "[proxy]") {
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  auto response = client_for(*server).Get("/malformed");
  REQUIRE(response);
  CHECK(response->status == 502);
  check_still_serving(*server);
}

TEST_CASE("relay: an idle connection the upstream closed is not used again", "[proxy]") {
  // Each connection answers one request and closes without saying so, as a backend
  // whose keep-alive timeout passed does.
  ScriptedUpstream upstream([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  TempDir dir;
  auto server = start_proxy(dir, upstream, {{"SERVER_THREAD_COUNT", "1"}});
  auto client = client_for(*server);
  for (int i = 0; i < 5; ++i) {
    auto response = client.Get("/again");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == "ok");
    // The upstream has closed the connection the server keeps, before the next request.
    REQUIRE(eventually([&] { return upstream.finished() == i + 1; }, 5s));
  }
}

TEST_CASE("relay: an upstream's 400 or 413 leaves the client's connection open", "[proxy]") {
  // Only the server's own refusals end a connection: after one, the bytes that follow
  // may not be a request. An upstream's refusal came after a whole request.
  ScriptedUpstream upstream([](int fd, const std::string &head) {
    const bool large = head.find("/large") != std::string::npos;
    send_text(fd, large ? "HTTP/1.1 413 Content Too Large\r\nContent-Length: 5\r\n\r\nlarge"
                        : "HTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad");
  });
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  RawClient client(server->port());
  std::string received;
  client.send("GET /bad HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(client.read_until(received, "\r\n\r\nbad"));
  CHECK(received.rfind("HTTP/1.1 400 ", 0) == 0);
  CHECK(received.find("Connection: close") == std::string::npos);
  received.clear();
  client.send("GET /large HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(client.read_until(received, "\r\n\r\nlarge"));
  CHECK(received.rfind("HTTP/1.1 413 ", 0) == 0);
  CHECK_FALSE(client.closed);
}

TEST_CASE("relay: a client reading slowly holds the upstream back (backpressure)", "[proxy]") {
  // The upstream writes a 256 MB body as fast as it can; the client reads nothing for a
  // while. A relay that buffers would take all of it; one that pushes back lets the
  // upstream write only what the sockets between hold.
  constexpr size_t total = 256u << 20;
  std::atomic<size_t> written{0};
  ScriptedUpstream upstream(or_fine([&](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
    const std::string block(64 * 1024, 'x');
    while (written < total) {
      const ssize_t sent = ::send(fd, block.data(), block.size(), MSG_NOSIGNAL);
      if (sent <= 0) return;
      written += size_t(sent);
    }
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream, {{"WRITE_TIMEOUT_MS", "10000"}});
  RawClient client(server->port());
  client.send(get_request);
  std::string received;
  REQUIRE(client.read_until(received, "\r\n\r\n"));
  // Wait until the upstream has stopped making progress: it is being held back.
  size_t before = 0;
  REQUIRE(eventually(
      [&] {
        const size_t now = written;
        std::this_thread::sleep_for(200ms);
        const bool stalled = written == now && now > 0;
        before = now;
        return stalled;
      },
      10s));
  CHECK(before < total / 4); // held back by socket buffers, not read into memory
  // Then the client reads it all, and gets every byte.
  size_t body = received.size() - received.find("\r\n\r\n") - 4;
  while (body < total && !client.closed)
    body += client.read_some(5s).size();
  CHECK(body == total);
  check_still_serving(*server);
}

TEST_CASE("relay: a 1 GB chunked body streams through with flat memory", "[proxy][heavy]") {
  constexpr size_t total = 1024u << 20;
  ScriptedUpstream upstream(or_fine([](int fd, const std::string &) {
    send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    std::string chunk = "10000\r\n" + std::string(65536, 'y') + "\r\n";
    for (size_t sent = 0; sent < total; sent += 65536)
      if (!send_text(fd, chunk)) return;
    send_text(fd, "0\r\n\r\n");
  }));
  TempDir dir;
  auto server = start_proxy(dir, upstream);
  const long idle = private_kib(server->pid());
  REQUIRE(idle > 0);
  RawClient client(server->port());
  client.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string received;
  REQUIRE(client.read_until(received, "\r\n\r\n"));
  // Decode the chunked answer as it comes, counting the data and watching memory.
  std::string pending = received.substr(received.find("\r\n\r\n") + 4);
  size_t at = 0, data = 0, chunk_left = 0;
  long peak = idle;
  bool ended = false, wrong_byte = false, crlf_due = false;
  for (int reads = 0; !ended && !wrong_byte; ++reads) {
    for (;;) { // everything pending that can be parsed
      if (chunk_left > 0) {
        const size_t take = std::min(chunk_left, pending.size() - at);
        wrong_byte |= pending.find_first_not_of('y', at) < at + take;
        data += take;
        chunk_left -= take;
        at += take;
        if (chunk_left > 0) break;
        crlf_due = true; // the read may end before the CRLF after the data
      }
      if (crlf_due) {
        if (pending.size() - at < 2) break;
        REQUIRE(pending.compare(at, 2, "\r\n") == 0);
        at += 2;
        crlf_due = false;
        continue;
      }
      const size_t line_end = pending.find("\r\n", at);
      if (line_end == std::string::npos) break;
      chunk_left = std::stoul(pending.substr(at, line_end - at), nullptr, 16);
      at = line_end + 2;
      if (chunk_left == 0) {
        ended = true;
        break;
      }
    }
    if (ended) break;
    pending.erase(0, at);
    at = 0;
    const std::string more = client.read_some(10s, 1 << 20);
    if (more.empty()) break;
    pending += more;
    if (reads % 256 == 0) peak = std::max(peak, private_kib(server->pid()));
  }
  CHECK_FALSE(wrong_byte);
  CHECK(ended);
  CHECK(data == total);
  INFO("idle " << idle << " KiB, peak " << peak << " KiB");
  CHECK(peak - idle < 64 * 1024); // a buffered body would be 1 GiB
  check_still_serving(*server);
}
