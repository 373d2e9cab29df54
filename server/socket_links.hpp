// Sockets in the serving threads' epoll set that are not clients': the upstream
// connections of the reverse proxy. Each is added once, when it opens, under a link
// number, and leaves the set when it closes. The link names the client connection
// (its Ticket) whose relay uses the socket right now, so that an upstream's bytes
// become a turn of that connection, exactly as the client's own bytes would: one
// owner at a time, through ConnectionSlots. A socket no relay uses (idle in the pool)
// has no owner; an event on it is remembered (touched), and the pool checks such a
// socket before it uses it again (the upstream may have closed it).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace flexilib::server {

class SocketLinks {
public:
  // The process's one table; the worker pool attaches its epoll set to it.
  static SocketLinks &shared();

  // epoll tags of links have this bit, which no connection's ticket (slot numbers stay
  // far below 2^30) and none of the pool's markers (~0, ~1, ~2) has alone.
  static constexpr uint64_t tag_bit = uint64_t(1) << 62;
  static bool is_link_tag(uint64_t tag) { return (tag >> 62) == 1; }
  static uint32_t link_of_tag(uint64_t tag) { return uint32_t(tag); }

  static constexpr uint32_t none = ~uint32_t(0);

  // The epoll set sockets join (-1: none, and add() then does nothing).
  void attach(int epoll_fd) { epoll_fd_.store(epoll_fd, std::memory_order_release); }

  // Adds `fd` to the epoll set (edge-triggered, for input and its end) under a new
  // link with no owner; `none` when no epoll set is attached or the table is full.
  uint32_t add(int fd);
  // Takes a socket that stays open out of the epoll set (before remove()).
  void leave_set(int fd);
  // Forgets the link (its socket is about to close, which takes it out of the set).
  void remove(uint32_t link);
  // Events on the link's socket go to `ticket` from now on.
  void own(uint32_t link, uint64_t ticket);
  // No relay uses the socket any more; clears `touched`.
  void disown(uint32_t link);
  // Whether an event came while nobody owned it.
  bool touched(uint32_t link) const;

  // An event on a link: the ticket of the connection it belongs to, or none (the
  // socket is idle: noted as touched).
  std::optional<uint64_t> owner_of_event(uint32_t link);

private:
  struct Entry {
    // ticket << 2 | touched << 1 | owned
    std::atomic<uint64_t> word{0};
  };
  static constexpr uint64_t owned = 1, touched_bit = 2;
  static constexpr size_t entries_per_chunk = 1024, chunk_count = 1024;
  Entry *entry(uint32_t link) const;

  std::atomic<int> epoll_fd_{-1};
  std::array<std::atomic<Entry *>, chunk_count> chunks_{};
  std::vector<std::unique_ptr<Entry[]>> owned_chunks_; // mutex_ held
  std::mutex mutex_;                                   // add, remove
  std::vector<uint32_t> free_;
  uint32_t next_unused_ = 0;
};

} // namespace flexilib::server
