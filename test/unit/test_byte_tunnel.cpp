// Unit tests of the upgraded connection's byte tunnel over socket pairs: both ways,
// early bytes first, half-close passed on, the idle timeout, a side that goes away,
// and a transfer larger than the buffers.
#include "upstream/byte_tunnel.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using namespace flexilib::upstream;

namespace {

// One socket pair: `tunnel` is the end the tunnel works on, `peer` the far side (the
// client or the upstream) the test plays.
struct Pair {
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    tunnel = fds[0];
    peer = fds[1];
  }
  ~Pair() {
    ::close(tunnel);
    if (peer >= 0) ::close(peer);
  }
  int tunnel = -1, peer = -1;
};

// No Catch assertion inside: it also runs on helper threads.
bool send_all(int fd, std::string_view text) {
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += size_t(n);
  }
  return true;
}

void send_text(int fd, std::string_view text) {
  REQUIRE(send_all(fd, text));
}

std::string receive_exactly(int fd, size_t size) {
  std::string got(size, '\0');
  size_t have = 0;
  while (have < size) {
    const ssize_t n = ::recv(fd, got.data() + have, size - have, 0);
    REQUIRE(n > 0);
    have += size_t(n);
  }
  return got;
}

bool at_end_of_stream(int fd) {
  char byte;
  return ::recv(fd, &byte, 1, 0) == 0;
}

std::future<TunnelOutcome> start(Pair &client, Pair &upstream, std::string early_up,
                                 std::string early_down, TunnelOptions options) {
  return std::async(std::launch::async, [&, early_up, early_down, options] {
    return run_byte_tunnel(client.tunnel, upstream.tunnel, early_up, early_down, options);
  });
}

} // namespace

TEST_CASE("byte tunnel: both ways, early bytes first, each end of stream passed on", "[tunnel]") {
  Pair client, upstream;
  auto tunnel = start(client, upstream, "early-up ", "early-down ", {5000, 16 * 1024});
  send_text(client.peer, "hello");
  CHECK(receive_exactly(upstream.peer, 14) == "early-up hello");
  send_text(upstream.peer, "world");
  CHECK(receive_exactly(client.peer, 16) == "early-down world");

  // The client stops sending: the upstream hears the end, and can still answer.
  ::shutdown(client.peer, SHUT_WR);
  CHECK(at_end_of_stream(upstream.peer));
  send_text(upstream.peer, "bye");
  CHECK(receive_exactly(client.peer, 3) == "bye");
  ::shutdown(upstream.peer, SHUT_WR);
  CHECK(at_end_of_stream(client.peer));

  const TunnelOutcome outcome = tunnel.get();
  CHECK(outcome.end == TunnelOutcome::End::closed);
  CHECK(outcome.to_upstream == 14);
  CHECK(outcome.to_client == 19);
}

TEST_CASE("byte tunnel: nothing moving for the idle timeout ends it", "[tunnel]") {
  Pair client, upstream;
  auto tunnel = start(client, upstream, "", "", {100, 1024});
  send_text(client.peer, "x");
  CHECK(receive_exactly(upstream.peer, 1) == "x");
  // Generous bound: the tunnel must end by itself, long before the test's patience.
  REQUIRE(tunnel.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(tunnel.get().end == TunnelOutcome::End::idle_timeout);
}

TEST_CASE("byte tunnel: a side that went away ends it instead of spinning", "[tunnel]") {
  Pair client, upstream;
  auto tunnel = start(client, upstream, "", "", {10000, 1024});
  ::close(client.peer); // gone for good, not a half-close
  client.peer = -1;
  CHECK(at_end_of_stream(upstream.peer)); // its end was passed on
  send_text(upstream.peer, "anyone there?");
  REQUIRE(tunnel.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(tunnel.get().end == TunnelOutcome::End::reset);
}

TEST_CASE("byte tunnel: more than the buffers hold goes through whole, both ways at once",
          "[tunnel]") {
  Pair client, upstream;
  auto tunnel = start(client, upstream, "", "", {10000, 1000}); // a small buffer
  std::string payload(3 * 1024 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = char(i * 7919 % 251);
  // Both peers send and receive at once: neither may wait for the other to finish.
  auto from_client = std::async(std::launch::async, [&] { return send_all(client.peer, payload); });
  auto from_upstream =
      std::async(std::launch::async, [&] { return send_all(upstream.peer, payload); });
  CHECK(receive_exactly(upstream.peer, payload.size()) == payload);
  CHECK(receive_exactly(client.peer, payload.size()) == payload);
  CHECK(from_client.get());
  CHECK(from_upstream.get());
  ::shutdown(client.peer, SHUT_WR);
  ::shutdown(upstream.peer, SHUT_WR);
  const TunnelOutcome outcome = tunnel.get();
  CHECK(outcome.end == TunnelOutcome::End::closed);
  CHECK(outcome.to_client == payload.size());
  CHECK(outcome.to_upstream == payload.size());
}
