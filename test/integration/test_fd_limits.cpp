// Integration tests of running short of file descriptors: a library load that fails
// for want of one is tried again once they are back (not remembered like a bad
// file), and the server budgets its descriptors so that 600 idle clients under
// `ulimit -n 256` neither break library loads nor shut out the admin endpoint.
#include "loader/library_slot.hpp"
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace flexilib;
using namespace flexilib::test;

namespace {

// Lowers this process's soft RLIMIT_NOFILE to the lowest free descriptor, so that
// the next open() fails with EMFILE; restores it when destroyed.
class DescriptorsUsedUp {
public:
  DescriptorsUsedUp() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    const int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = rlim_t(lowest_free);
    ::setrlimit(RLIMIT_NOFILE, &lowered);
  }
  ~DescriptorsUsedUp() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  DescriptorsUsedUp(const DescriptorsUsedUp &) = delete;
  DescriptorsUsedUp &operator=(const DescriptorsUsedUp &) = delete;

private:
  rlimit saved_{};
};

size_t count_containing(const std::vector<std::string> &lines, const std::string &part) {
  size_t count = 0;
  for (const std::string &line : lines)
    if (line.find(part) != std::string::npos) ++count;
  return count;
}

} // namespace

TEST_CASE("a load that fails for want of descriptors is tried again once they are back",
          "[loader][fd]") {
  std::vector<std::string> events;
  loader::LibrarySlot slot(test_library("counter"),
                           [&](std::string_view line) { events.emplace_back(line); });
  std::string error;
  bool loaded_while_short = true;
  {
    // No assertion in here: a sanitizer's checks may need a descriptor too.
    const DescriptorsUsedUp used_up;
    loaded_while_short = slot.acquire(error) != nullptr;
  }
  CHECK_FALSE(loaded_while_short);
  CHECK(error.find("Too many open files") != std::string::npos);
  REQUIRE(events.size() == 1);
  CHECK(events[0].find("a shortage, not the file: a request tries again in 100 ms") !=
        std::string::npos);

  // Within the backoff a request is answered from memory, without another try or line.
  CHECK_FALSE(slot.acquire(error));
  CHECK(events.size() == 1);
  // Then the descriptors are back and the library serves.
  CHECK(eventually([&] { return slot.acquire(error) != nullptr; }));
  CHECK(count_containing(events, "load failed") == 1);
  CHECK(count_containing(events, "loaded " + test_library("counter") + " generation 1") == 1);
}

TEST_CASE("a load short of descriptors again backs off twice as long, one line per try",
          "[loader][fd]") {
  std::vector<std::string> events;
  loader::LibrarySlot slot(test_library("counter"),
                           [&](std::string_view line) { events.emplace_back(line); });
  std::string error;
  bool loaded_while_short = true, tried_again = false;
  {
    // No assertion in here: a sanitizer's checks may need a descriptor too.
    const DescriptorsUsedUp used_up;
    loaded_while_short = slot.acquire(error) != nullptr;
    // Requests keep coming while still short: one more try (and line) per backoff step.
    tried_again = eventually([&] {
      slot.acquire(error);
      return events.size() == 2;
    });
  }
  CHECK_FALSE(loaded_while_short);
  REQUIRE(tried_again);
  CHECK(events[1].find("tries again in 200 ms") != std::string::npos);
  CHECK(eventually([&] { return slot.acquire(error) != nullptr; }));
}

namespace {

// An idle client connection, closed when destroyed.
class IdleClient {
public:
  explicit IdleClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Completes once the kernel has queued it, whether or not the server accepts it.
    connected_ =
        fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
  }
  ~IdleClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  IdleClient(const IdleClient &) = delete;
  IdleClient &operator=(const IdleClient &) = delete;
  bool connected() const { return connected_; }

  // Sends one request on this connection and returns the response's first line.
  std::string status_line_of(const std::string &request, Deadline deadline = 10s) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size()))
      return {};
    std::string answer;
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (answer.find("\r\n") == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd ready{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&ready, 1, int(left.count())) <= 0) return answer;
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) return answer;
      answer.append(buffer, size_t(got));
    }
    return answer.substr(0, answer.find("\r\n"));
  }

private:
  int fd_;
  bool connected_ = false;
};

// This test process holds 600 connections itself: it needs more than the usual 1024
// descriptors' soft limit may leave. False when the hard limit does not allow it.
bool raise_own_descriptor_limit(rlim_t wanted) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted) return true;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) return false;
  limit.rlim_cur = wanted;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

bool admin_answers(int admin_port) {
  httplib::Client admin("127.0.0.1", admin_port);
  admin.set_connection_timeout(5);
  admin.set_read_timeout(5);
  auto response = admin.Get("/healthz");
  return response && response->status == 200;
}

} // namespace

TEST_CASE("under ulimit -n 256, 600 idle clients neither break library loads nor shut out "
          "the admin endpoint",
          "[fd][pool]") {
  REQUIRE(raise_own_descriptor_limit(2048));
  TempDir dir;
  const std::string library = test_library("counter");
  dir.write_file("proxy.ini", "/ = " + library + "\n");
  ServerProcess server({dir.path(), {}, {{"ADMIN_PORT", "0"}, {"KEEPALIVE_TIMEOUT_S", "120"}}});
  server.limit_open_files(256);
  REQUIRE(server.start());
  const int admin_port = server.announced_port("admin");
  REQUIRE(admin_port > 0);
  CHECK(server.wait_for_stderr([](const std::string &line) {
    return line.find("MAX_CONNECTIONS lowered from 10000 to 192: the open-file limit (ulimit -n) "
                     "is 256 and 64 descriptors are kept") != std::string::npos;
  }));

  // 600 idle clients: the first 192 are accepted, the rest wait in the backlog.
  std::vector<std::unique_ptr<IdleClient>> idle;
  for (int i = 0; i < 600; ++i) {
    idle.push_back(std::make_unique<IdleClient>(server.port()));
    REQUIRE(idle.back()->connected());
  }
  CHECK(server.wait_for_stderr([](const std::string &line) {
    return line.find("MAX_CONNECTIONS (192) open") != std::string::npos;
  }));
  // The library's first load needs descriptors of its own: the reserve has them.
  CHECK(idle.front()->status_line_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == "HTTP/1.1 200 OK");
  CHECK(admin_answers(admin_port));

  idle.clear(); // every idle client goes
  // Every later request is answered, each on a connection of its own.
  CHECK(eventually(
      [&] {
        return IdleClient(server.port()).status_line_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n") ==
               "HTTP/1.1 200 OK";
      },
      10s));
  for (int i = 0; i < 20; ++i)
    CHECK(IdleClient(server.port()).status_line_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n") ==
          "HTTP/1.1 200 OK");
  CHECK(admin_answers(admin_port));
  for (const std::string &line : server.stderr_lines())
    CHECK(line.find("load failed") == std::string::npos);
}
