// Bump allocation over one buffer per thread, with heap blocks as the overflow.
#include "server/arena.hpp"

#include <cstdlib>

namespace flexilib::server {

namespace {
constexpr size_t alignment = 16;
thread_local Arena *current_arena = nullptr;

size_t round_up(size_t size) {
  return (size + alignment - 1) & ~(alignment - 1);
}
} // namespace

// The buffer is allocated zeroed-lazily by the kernel: untouched pages of a large
// RESPONSE_PREALLOCATION_KB cost no resident memory until a request uses them.
Arena::Arena(size_t capacity)
    : buffer_(capacity ? std::make_unique_for_overwrite<std::byte[]>(capacity) : nullptr),
      capacity_(capacity) {}

void Arena::FreeDeleter::operator()(void *block) const {
  std::free(block);
}

void *Arena::allocate(size_t size) {
  const size_t rounded = round_up(size ? size : 1);
  if (rounded < size) return nullptr; // overflow of the size itself
  if (rounded <= capacity_ - used_) {
    void *memory = buffer_.get() + used_;
    used_ += rounded;
    allocated_ += rounded;
    return memory;
  }
  void *block = std::aligned_alloc(alignment, rounded);
  if (block == nullptr) return nullptr;
  overflow_blocks_.emplace_back(block);
  allocated_ += rounded;
  overflow_ += rounded;
  return block;
}

void Arena::reset() {
  used_ = 0;
  allocated_ = 0;
  overflow_ = 0;
  overflow_blocks_.clear();
}

Arena *Arena::current() {
  return current_arena;
}
void Arena::set_current(Arena *arena) {
  current_arena = arena;
}

} // namespace flexilib::server

// The allocator handler libraries call (declared weak in executors/flexilib.h and
// exported from the executable by server/exported-symbols.list).
extern "C" void *flexilib_alloc(size_t size) {
  flexilib::server::Arena *arena = flexilib::server::Arena::current();
  return arena ? arena->allocate(size) : nullptr;
}
