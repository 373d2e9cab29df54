// Bump allocation over one buffer per thread, with heap blocks as the overflow.
#include "server/arena.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace flexilib::server {

namespace {
thread_local Arena *current_arena = nullptr;

// `size` rounded up to a multiple of `alignment` (a power of two); 0 on overflow.
size_t round_up(size_t size, size_t alignment) {
  const size_t rounded = (size + alignment - 1) & ~(alignment - 1);
  return rounded < size ? 0 : rounded;
}

// What a block of `size` bytes takes: at least one 16-byte unit.
size_t block_size(size_t size) {
  return round_up(size ? size : 1, Arena::min_alignment);
}

std::byte *allocate_buffer(size_t capacity) {
  if (capacity == 0) return nullptr;
  return static_cast<std::byte *>(
      std::aligned_alloc(Arena::buffer_alignment, round_up(capacity, Arena::buffer_alignment)));
}
} // namespace

// The buffer's pages are the kernel's zero pages until touched: untouched pages of a
// large RESPONSE_PREALLOCATION_KB cost no resident memory until a request uses them.
Arena::Arena(size_t capacity) : buffer_(allocate_buffer(capacity)), capacity_(capacity) {
  if (!buffer_) capacity_ = 0;
}

void Arena::FreeDeleter::operator()(void *block) const {
  std::free(block);
}

bool Arena::in_buffer(const void *block) const {
  const auto *byte = static_cast<const std::byte *>(block);
  return byte >= buffer_.get() && byte < buffer_.get() + capacity_;
}

void Arena::hold(size_t bytes) {
  held_ += bytes;
  peak_ = std::max(peak_, held_);
}

void *Arena::allocate(size_t size, size_t alignment) {
  alignment = std::max(alignment, min_alignment);
  const size_t rounded = block_size(size);
  if (rounded == 0 || rounded > SIZE_MAX / 2) return nullptr; // absurd, or overflowed
  if (alignment <= buffer_alignment) {
    const size_t start = round_up(used_, alignment);
    if (start <= capacity_ && rounded <= capacity_ - start) {
      hold(start + rounded - used_); // the padding counts: the request used it up
      used_ = start + rounded;
      return buffer_.get() + start;
    }
  }
  const size_t heap_size = round_up(rounded, alignment);
  if (heap_size == 0) return nullptr;
  void *block = std::aligned_alloc(alignment, heap_size);
  if (block == nullptr) return nullptr;
  overflow_blocks_.push_back({std::unique_ptr<void, FreeDeleter>(block), heap_size});
  hold(heap_size);
  overflow_ += heap_size;
  return block;
}

bool Arena::resize(void *block, size_t size, size_t new_size) {
  const size_t old_rounded = block_size(size), new_rounded = block_size(new_size);
  if (new_rounded == 0 || new_rounded > SIZE_MAX / 2) return false;
  if (new_rounded <= old_rounded && !in_buffer(block)) return true; // a heap block shrinks
  if (!in_buffer(block)) return false;
  const size_t start = size_t(static_cast<std::byte *>(block) - buffer_.get());
  const bool newest = start + old_rounded == used_;
  if (!newest) return new_rounded <= old_rounded; // an older block can only shrink
  if (new_rounded > capacity_ - start) return false;
  used_ = start + new_rounded;
  if (new_rounded > old_rounded)
    hold(new_rounded - old_rounded);
  else
    held_ -= old_rounded - new_rounded;
  return true;
}

void Arena::release(void *block, size_t size) {
  if (block == nullptr) return;
  if (in_buffer(block)) {
    const size_t start = size_t(static_cast<std::byte *>(block) - buffer_.get());
    if (start + block_size(size) != used_) return; // not the newest: kept until reset()
    held_ -= used_ - start;
    used_ = start;
    return;
  }
  // The block freed is usually one of the last few taken (a list that grew).
  auto found =
      std::find_if(overflow_blocks_.rbegin(), overflow_blocks_.rend(),
                   [&](const OverflowBlock &candidate) { return candidate.memory.get() == block; });
  if (found == overflow_blocks_.rend()) return;
  held_ -= found->size;
  overflow_blocks_.erase(std::next(found).base());
}

void Arena::reset() {
  used_ = 0;
  held_ = 0;
  peak_ = 0;
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
