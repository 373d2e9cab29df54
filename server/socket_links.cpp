// The upstream sockets in the epoll set, and which connection each one's events go to.
#include "server/socket_links.hpp"

#include <sys/epoll.h>

namespace flexilib::server {

SocketLinks &SocketLinks::shared() {
  static SocketLinks links;
  return links;
}

SocketLinks::Entry *SocketLinks::entry(uint32_t link) const {
  if (link / entries_per_chunk >= chunk_count) return nullptr;
  Entry *chunk = chunks_[link / entries_per_chunk].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[link % entries_per_chunk];
}

uint32_t SocketLinks::add(int fd) {
  const int epoll_fd = epoll_fd_.load(std::memory_order_acquire);
  if (epoll_fd < 0) return none;
  uint32_t link = none;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      link = free_.back();
      free_.pop_back();
    } else {
      if (next_unused_ >= entries_per_chunk * chunk_count) return none;
      link = next_unused_++;
      std::atomic<Entry *> &chunk = chunks_[link / entries_per_chunk];
      if (chunk.load(std::memory_order_relaxed) == nullptr) {
        owned_chunks_.push_back(std::make_unique<Entry[]>(entries_per_chunk));
        chunk.store(owned_chunks_.back().get(), std::memory_order_release);
      }
    }
  }
  entry(link)->word.store(0, std::memory_order_release);
  epoll_event event{};
  // No EPOLLOUT: requests go out whole at once nearly always (the rare rest waits in
  // poll), so writability would only bring turns that find nothing to do.
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  event.data.u64 = tag_bit | link;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    remove(link);
    return none;
  }
  return link;
}

void SocketLinks::leave_set(int fd) {
  const int epoll_fd = epoll_fd_.load(std::memory_order_acquire);
  if (epoll_fd >= 0) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
}

void SocketLinks::remove(uint32_t link) {
  if (entry(link) == nullptr) return;
  entry(link)->word.store(0, std::memory_order_release);
  std::lock_guard lock(mutex_);
  free_.push_back(link);
}

void SocketLinks::own(uint32_t link, uint64_t ticket) {
  if (Entry *found = entry(link)) found->word.store(ticket << 2 | owned, std::memory_order_release);
}

void SocketLinks::disown(uint32_t link) {
  if (Entry *found = entry(link)) found->word.store(0, std::memory_order_release);
}

bool SocketLinks::touched(uint32_t link) const {
  const Entry *found = entry(link);
  return found != nullptr && (found->word.load(std::memory_order_acquire) & touched_bit) != 0;
}

std::optional<uint64_t> SocketLinks::owner_of_event(uint32_t link) {
  Entry *found = entry(link);
  if (found == nullptr) return std::nullopt;
  uint64_t word = found->word.load(std::memory_order_acquire);
  for (;;) {
    if ((word & owned) != 0) return word >> 2;
    if (found->word.compare_exchange_weak(word, word | touched_bit, std::memory_order_acq_rel))
      return std::nullopt;
  }
}

} // namespace flexilib::server
