// A two-way byte relay over poll(), for upgraded connections.
#include "upstream/byte_tunnel.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <vector>

namespace flexilib::upstream {

namespace {

// One direction: bytes read from `from`, waiting in `buffer` to be written to `to`.
struct Direction {
  Direction(int from_, int to_, std::string_view early, size_t capacity)
      // An early part larger than the buffer is kept whole: it was read already.
      : from(from_), to(to_), buffer(std::max(capacity, early.size())) {
    std::copy(early.begin(), early.end(), buffer.begin());
    end = early.size();
  }
  int from, to;
  std::vector<char> buffer;
  size_t begin = 0, end = 0; // the bytes waiting are buffer[begin, end)
  bool source_done = false;  // `from` ended its stream
  bool finished = false;     // ... and all it sent went out, and `to` was told
  uint64_t moved = 0;

  bool has_bytes() const { return begin < end; }
  bool wants_input() const { return !source_done && end < buffer.size(); }
};

enum class Step : uint8_t { progress, idle, broken, stopped };

// Reads what `from` has into the free space. False when the connection broke.
bool read_side(Direction &direction, bool &moved) {
  const ssize_t got = ::recv(direction.from, direction.buffer.data() + direction.end,
                             direction.buffer.size() - direction.end, 0);
  if (got > 0) {
    direction.end += size_t(got);
    moved = true;
    return true;
  }
  if (got == 0) {
    direction.source_done = true;
    moved = true;
    return true;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// Writes what is waiting to `to`. False when the connection broke.
bool write_side(Direction &direction, bool &moved) {
  const ssize_t sent = ::send(direction.to, direction.buffer.data() + direction.begin,
                              direction.end - direction.begin, MSG_NOSIGNAL);
  if (sent > 0) {
    direction.begin += size_t(sent);
    direction.moved += uint64_t(sent);
    if (direction.begin == direction.end) direction.begin = direction.end = 0; // room again
    moved = true;
    return true;
  }
  return sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

// Once the source has ended and every byte has gone, the other side hears the end.
void pass_on_end(Direction &direction) {
  if (direction.finished || !direction.source_done || direction.has_bytes()) return;
  ::shutdown(direction.to, SHUT_WR);
  direction.finished = true;
}

short events_for(int fd, const Direction &reading, const Direction &writing) {
  short events = 0;
  if (reading.from == fd && reading.wants_input()) events |= POLLIN;
  if (writing.to == fd && writing.has_bytes()) events |= POLLOUT;
  return events;
}

// One poll() and what it allows. Broken when a side reset or a send failed.
Step step(Direction &up, Direction &down, int client_fd, int upstream_fd, int idle_ms,
          int stop_fd) {
  // up: client -> upstream; down: upstream -> client.
  pollfd fds[3] = {{client_fd, events_for(client_fd, up, down), 0},
                   {upstream_fd, events_for(upstream_fd, down, up), 0},
                   {stop_fd, POLLIN, 0}};
  const int ready = ::poll(fds, stop_fd >= 0 ? 3 : 2, idle_ms);
  if (ready < 0) return errno == EINTR ? Step::progress : Step::broken;
  if (ready == 0) return Step::idle;
  if (fds[2].revents & POLLIN) return Step::stopped;
  bool moved = false;
  for (Direction *direction : {&up, &down}) {
    const pollfd &source = direction == &up ? fds[0] : fds[1];
    const pollfd &sink = direction == &up ? fds[1] : fds[0];
    // POLLHUP/POLLERR with POLLIN asked: recv says what happened (data, EOF or error).
    bool just_read = false;
    if ((source.events & POLLIN) && (source.revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!read_side(*direction, just_read)) return Step::broken;
      moved |= just_read;
    }
    // Bytes just read go out at once (the other socket nearly always takes them),
    // without waiting for another poll() round.
    const bool sink_ready =
        (sink.events & POLLOUT) && (sink.revents & (POLLOUT | POLLHUP | POLLERR));
    if (direction->has_bytes() && (sink_ready || just_read))
      if (!write_side(*direction, moved)) return Step::broken;
    pass_on_end(*direction);
  }
  if (moved) return Step::progress;
  // poll() reports an error or hang-up even on a side asked for nothing (its reading
  // done, nothing to write to it): a side that reset. Waiting on would spin.
  for (const pollfd &entry : {fds[0], fds[1]})
    if (entry.revents & (POLLERR | POLLHUP | POLLNVAL)) return Step::broken;
  return Step::progress;
}

void make_non_blocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

} // namespace

TunnelOutcome run_byte_tunnel(int client_fd, int upstream_fd, std::string_view early_to_upstream,
                              std::string_view early_to_client, const TunnelOptions &options) {
  make_non_blocking(client_fd);
  make_non_blocking(upstream_fd);
  Direction up(client_fd, upstream_fd, early_to_upstream, options.buffer_bytes);
  Direction down(upstream_fd, client_fd, early_to_client, options.buffer_bytes);
  TunnelOutcome outcome;
  while (!(up.finished && down.finished)) {
    const Step result = step(up, down, client_fd, upstream_fd, options.idle_ms, options.stop_fd);
    if (result == Step::stopped) {
      outcome.end = TunnelOutcome::End::stopped;
      break;
    }
    if (result == Step::idle) {
      outcome.end = TunnelOutcome::End::idle_timeout;
      break;
    }
    if (result == Step::broken) {
      outcome.end = TunnelOutcome::End::reset;
      break;
    }
  }
  outcome.to_upstream = up.moved;
  outcome.to_client = down.moved;
  return outcome;
}

} // namespace flexilib::upstream
