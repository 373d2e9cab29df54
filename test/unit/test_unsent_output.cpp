// Unit tests for UnsentOutput over a socket pair: bytes kept in memory and in the file
// leave in the order they came, and the budget is given back once all is sent.
#include "server/unsent_output.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using flexilib::server::MemoryBudget;
using flexilib::server::SendProgress;
using flexilib::server::UnsentOutput;

namespace {

// A connected pair whose sending side takes little at a time, as a slow reader's would,
// and never blocks, as a connection's socket.
struct SocketPair {
  int sender = -1, receiver = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    sender = fds[0];
    receiver = fds[1];
    const int small = 4096;
    ::setsockopt(sender, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  }
  ~SocketPair() {
    ::close(sender);
    if (receiver >= 0) ::close(receiver);
  }
  std::string read_available() {
    std::string got;
    char buffer[65536];
    ssize_t n;
    while ((n = ::recv(receiver, buffer, sizeof buffer, MSG_DONTWAIT)) > 0)
      got.append(buffer, size_t(n));
    return got;
  }
};

std::string pattern(char first, size_t size) {
  std::string text(size, first);
  for (size_t i = 0; i < size; i += 97)
    text[i] = char(first + 1);
  return text;
}

// Sends until done, reading between the rounds like a client that reads slowly.
std::string drain(UnsentOutput &unsent, SocketPair &pair) {
  std::string received;
  for (int round = 0; round < 100000; ++round) {
    const SendProgress progress = unsent.send_to(pair.sender);
    REQUIRE(progress != SendProgress::failed);
    received += pair.read_available();
    if (progress == SendProgress::done) break;
  }
  return received;
}

} // namespace

TEST_CASE("unsent bytes in memory, then in the file, arrive in order", "[unsent_output]") {
  MemoryBudget budget(100 * 1024), disk(1024 * 1024);
  UnsentOutput unsent;
  const std::string first = pattern('a', 60 * 1024), second = pattern('m', 300 * 1024),
                    third = pattern('x', 10 * 1024);
  REQUIRE(unsent.keep(first.data(), first.size(), budget, disk));   // in memory
  REQUIRE(unsent.keep(second.data(), second.size(), budget, disk)); // over budget: in the file
  REQUIRE(unsent.keep(third.data(), third.size(), budget, disk));   // after the file, in it too
  CHECK(budget.used() == first.size());
  CHECK(disk.used() == second.size() + third.size());
  CHECK_FALSE(unsent.empty());

  SocketPair pair;
  CHECK(drain(unsent, pair) == first + second + third);
  CHECK(unsent.empty());
  CHECK(unsent.sent() == first.size() + second.size() + third.size());
  CHECK(budget.used() == 0);
  CHECK(disk.used() == 0);
}

TEST_CASE("past the disk budget, nothing more is kept", "[unsent_output]") {
  MemoryBudget budget(0), disk(100);
  UnsentOutput unsent;
  const std::string bytes(60, 'd');
  CHECK(unsent.keep(bytes.data(), bytes.size(), budget, disk));
  CHECK_FALSE(unsent.keep(bytes.data(), bytes.size(), budget, disk));
  CHECK(disk.used() == 60);
}

TEST_CASE("with no budget and no place for a file, nothing is kept", "[unsent_output]") {
  MemoryBudget budget(0), disk(1024 * 1024);
  UnsentOutput unsent;
  const char *previous = std::getenv("TMPDIR");
  const std::string saved = previous ? previous : "";
  ::setenv("TMPDIR", "/nonexistent/flexilib-test", 1);
  CHECK_FALSE(unsent.keep("abc", 3, budget, disk));
  previous ? ::setenv("TMPDIR", saved.c_str(), 1) : ::unsetenv("TMPDIR");
  CHECK(unsent.empty());
}

TEST_CASE("a reader that has gone away fails the send", "[unsent_output]") {
  std::signal(SIGPIPE, SIG_IGN); // as the server does: sendfile() has no MSG_NOSIGNAL
  MemoryBudget budget(1024 * 1024), disk(0);
  UnsentOutput unsent;
  const std::string bytes = pattern('q', 512 * 1024);
  REQUIRE(unsent.keep(bytes.data(), bytes.size(), budget, disk));
  SocketPair pair;
  ::close(pair.receiver);
  pair.receiver = -1;
  SendProgress progress = SendProgress::blocked;
  for (int round = 0; round < 100 && progress == SendProgress::blocked; ++round)
    progress = unsent.send_to(pair.sender);
  CHECK(progress == SendProgress::failed);
}
