// Integration tests of Upgrade through a proxy route, with a real WebSocket client and
// server (Python's websockets, Debian's python3-websockets): the echo server runs
// upstream, the client connects through flexilib, messages go both ways (text,
// binary, one larger than the tunnel's buffers, a burst in flight at once) and the
// close handshake ends it; an upgrade the upstream refuses gets its normal answer; an
// idle tunnel is closed after UPSTREAM_READ_TIMEOUT_MS; a tunnel outliving
// HANDLER_TIMEOUT_MS is not a stuck handler.
#include "test/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace flexilib::test;

namespace {

// The interpreter Debian's package is for (a python3 earlier in PATH may lack it).
constexpr const char *python = "/usr/bin/python3";

const char *const echo_server_py = R"(
import asyncio, http, logging, sys, websockets

# A client that goes away without a close frame (the idle test) is expected here.
logging.getLogger("websockets").setLevel(logging.CRITICAL)

async def echo(websocket, path=None):
    async for message in websocket:
        await websocket.send(message)

async def refuse_some(path, headers):
    if path.startswith("/refuse"):
        return http.HTTPStatus.FORBIDDEN, [("Content-Type", "text/plain")], b"no upgrade here\n"
    return None

async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, process_request=refuse_some,
                                max_size=None, ping_interval=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
)";

const char *const echo_client_py = R"(
import asyncio, sys, websockets

async def round_trip(websocket, message):
    await websocket.send(message)
    echoed = await asyncio.wait_for(websocket.recv(), 10)
    assert echoed == message, (repr(message)[:40], repr(echoed)[:40])

async def main(url, pause_s):
    async with websockets.connect(url, max_size=None, ping_interval=None) as websocket:
        for message in ["hello", b"\x00\x01 binary \xff", "x" * 300000, "after the big one"]:
            await round_trip(websocket, message)
        for i in range(20):
            await websocket.send(f"burst {i}")
        for i in range(20):
            assert await asyncio.wait_for(websocket.recv(), 10) == f"burst {i}"
        if pause_s > 0:
            await asyncio.sleep(pause_s)  # the behaviour under test: a tunnel that lasts
            await round_trip(websocket, "still here")
    print("closed", websocket.close_code, flush=True)

asyncio.run(main(sys.argv[1], float(sys.argv[2])))
)";

const char *const refused_client_py = R"(
import asyncio, sys, websockets

async def main(url):
    try:
        async with websockets.connect(url, ping_interval=None):
            print("upgraded", flush=True)
    except websockets.exceptions.InvalidStatusCode as refused:
        print("refused", refused.status_code, flush=True)

asyncio.run(main(sys.argv[1]))
)";

const char *const idle_client_py = R"(
import asyncio, sys, websockets

async def main(url):
    async with websockets.connect(url, ping_interval=None, close_timeout=1) as websocket:
        await websocket.send("one")
        assert await websocket.recv() == "one"
        try:
            await asyncio.wait_for(websocket.recv(), 20)
            print("got a message", flush=True)
        except websockets.exceptions.ConnectionClosed:
            print("closed by the proxy", flush=True)

asyncio.run(main(sys.argv[1]))
)";

// Says "open" once its tunnel carries a message both ways, then waits for the proxy
// to close it.
const char *const held_client_py = R"(
import asyncio, sys, websockets

async def main(url):
    async with websockets.connect(url, ping_interval=None, close_timeout=1) as websocket:
        await websocket.send("one")
        assert await websocket.recv() == "one"
        print("open", flush=True)
        try:
            await asyncio.wait_for(websocket.recv(), 30)
            print("got a message", flush=True)
        except websockets.exceptions.ConnectionClosed:
            print("closed by the proxy", flush=True)

asyncio.run(main(sys.argv[1]))
)";

// A Python program run as a child, its stdout read line by line with deadlines.
class PythonProcess {
public:
  PythonProcess(const TempDir &dir, const std::string &name, const char *source,
                std::vector<std::string> args = {}) {
    dir.write_file(name, source);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], 1);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      const std::string script = dir.file(name);
      std::vector<char *> argv{const_cast<char *>(python), const_cast<char *>(script.c_str())};
      for (std::string &arg : args)
        argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(python, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    out_ = pipe_fds[0];
  }
  ~PythonProcess() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }

  // The next line of stdout, or "" when none came by the deadline (or it ended).
  std::string line(Deadline deadline = 20s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      if (const size_t end = buffered_.find('\n'); end != std::string::npos) {
        std::string first = buffered_.substr(0, end);
        buffered_.erase(0, end + 1);
        return first;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd entry{out_, POLLIN, 0};
      if (::poll(&entry, 1, int(left.count())) <= 0) return {};
      char buffer[512];
      const ssize_t got = ::read(out_, buffer, sizeof buffer);
      if (got <= 0) return {};
      buffered_.append(buffer, size_t(got));
    }
  }

  // The exit status when it ended within the deadline.
  std::optional<int> wait_exit(Deadline deadline = 20s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::poll(nullptr, 0, 10);
    }
    return std::nullopt;
  }

private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string buffered_;
};

struct Upstream {
  explicit Upstream(const TempDir &dir) : server(dir, "echo_server.py", echo_server_py) {
    port = server.line();
    REQUIRE_FALSE(port.empty());
  }
  std::string url() const { return "http://127.0.0.1:" + port; }
  PythonProcess server;
  std::string port;
};

std::string ws_url(const ServerProcess &proxy, const std::string &path) {
  return "ws://127.0.0.1:" + std::to_string(proxy.port()) + path;
}

bool log_has(ServerProcess &proxy, const std::string &a, const std::string &b) {
  return proxy
      .wait_for_stdout([&](const std::string &line) {
        return line.find(a) != std::string::npos && line.find(b) != std::string::npos;
      })
      .has_value();
}

} // namespace

TEST_CASE("websocket: messages both ways through the proxy, then a clean close",
          "[proxy][websocket]") {
  TempDir dir;
  Upstream upstream(dir);
  auto proxy = start_server(dir, "/ws = " + upstream.url() + "\n/other = " + upstream.url() + "\n");
  PythonProcess client(dir, "client.py", echo_client_py, {ws_url(*proxy, "/ws/chat"), "0"});
  CHECK(client.line() == "closed 1000");
  CHECK(client.wait_exit() == 0);
  CHECK(log_has(*proxy, "\"GET /ws/chat HTTP/1.1\" 101", "ttfb"));
  // The server goes on serving (the tunnel's thread came back).
  auto after = client_for(*proxy).Get("/other");
  REQUIRE(after);
  CHECK(after->status == 426); // the echo server wants an upgrade: a normal answer
}

TEST_CASE("websocket: an upgrade the upstream refuses gets the upstream's answer",
          "[proxy][websocket]") {
  TempDir dir;
  Upstream upstream(dir);
  auto proxy = start_server(dir, "/ = " + upstream.url() + "\n");
  PythonProcess client(dir, "refused.py", refused_client_py, {ws_url(*proxy, "/refuse")});
  CHECK(client.line() == "refused 403");
  CHECK(client.wait_exit() == 0);
  const std::string answer =
      raw_request(proxy->port(),
                  "GET /refuse HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                  "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                  5s);
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 403") && Catch::Contains("no upgrade here\n"));
}

TEST_CASE("websocket: a tunnel idle for UPSTREAM_READ_TIMEOUT_MS is closed", "[proxy][websocket]") {
  TempDir dir;
  Upstream upstream(dir);
  auto proxy =
      start_server(dir, "/ = " + upstream.url() + "\n", {{"UPSTREAM_READ_TIMEOUT_MS", "300"}});
  PythonProcess client(dir, "idle.py", idle_client_py, {ws_url(*proxy, "/idle")});
  CHECK(client.line() == "closed by the proxy");
  CHECK(client.wait_exit() == 0);
}

TEST_CASE("websocket: a tunnel outlasting HANDLER_TIMEOUT_MS is no stuck handler, and others "
          "are served meanwhile",
          "[proxy][websocket]") {
  TempDir dir;
  Upstream upstream(dir);
  auto proxy = start_server(dir, "/ = " + upstream.url() + "\n",
                            {{"HANDLER_TIMEOUT_MS", "100"}, {"SERVER_THREAD_COUNT", "2"}});
  PythonProcess client(dir, "client.py", echo_client_py, {ws_url(*proxy, "/long"), "1.0"});
  // While the tunnel holds one serving thread, the other answers.
  CHECK(eventually([&] {
    auto response = client_for(*proxy).Get("/plain");
    return response && response->status == 426;
  }));
  CHECK(client.line() == "closed 1000");
  CHECK(client.wait_exit() == 0);
  CHECK_THAT(proxy->stderr_text(), !Catch::Contains("HANDLER_TIMEOUT_MS"));
}

// An open tunnel does not hold up a shutdown until SHUTDOWN_TIMEOUT_MS (then exit 1):
// SIGTERM closes it, as nginx closes upgraded connections, and the server exits 0.
TEST_CASE("websocket: SIGTERM closes an open tunnel and the server exits 0",
          "[proxy][websocket][shutdown]") {
  TempDir dir;
  Upstream upstream(dir);
  auto proxy =
      start_server(dir, "/ = " + upstream.url() + "\n",
                   {{"SHUTDOWN_TIMEOUT_MS", "20000"}, {"UPSTREAM_READ_TIMEOUT_MS", "30000"}});
  PythonProcess client(dir, "held.py", held_client_py, {ws_url(*proxy, "/held")});
  REQUIRE(client.line() == "open");
  proxy->send_signal(SIGTERM);
  CHECK(client.line() == "closed by the proxy");
  auto status = proxy->wait_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_THAT(proxy->stderr_text(), Catch::Contains("closed: the server is stopping"));
}
