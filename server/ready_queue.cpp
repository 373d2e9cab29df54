// The queue of ready connections, and waking a sleeping thread for them.
#include "server/ready_queue.hpp"

#include <cstdint>
#include <unistd.h>

namespace flexilib::server {

void ReadyQueue::push(const Connection *const *connections, size_t count) {
  if (count == 0) return;
  std::lock_guard lock(mutex_);
  if (count_ + count > ring_.size()) {
    std::vector<Connection *> larger(std::max<size_t>(16, 2 * (count_ + count)));
    for (size_t i = 0; i < count_; ++i)
      larger[i] = ring_[(first_ + i) % ring_.size()];
    ring_.swap(larger);
    first_ = 0;
  }
  for (size_t i = 0; i < count; ++i)
    ring_[(first_ + count_ + i) % ring_.size()] = const_cast<Connection *>(connections[i]);
  count_ += count;
  wake_one_if_needed();
}

Connection *ReadyQueue::take_or_sleep() {
  std::lock_guard lock(mutex_);
  if (count_ == 0) {
    ++sleepers_;
    return nullptr;
  }
  Connection *connection = ring_[first_];
  first_ = (first_ + 1) % ring_.size();
  --count_;
  // The rest may wait behind a slow handler here: a sleeping thread takes them.
  wake_one_if_needed();
  return connection;
}

void ReadyQueue::woke() {
  std::lock_guard lock(mutex_);
  --sleepers_;
  if (woken_ > 0) --woken_;
}

bool ReadyQueue::waiting() const {
  std::lock_guard lock(mutex_);
  return count_ > 0;
}

void ReadyQueue::wake_one_if_needed() {
  if (count_ == 0 || sleepers_ <= woken_) return;
  ++woken_;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
}

} // namespace flexilib::server
