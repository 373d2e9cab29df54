// The per-thread request arena: RESPONSE_PREALLOCATION_KB bytes reserved once per
// serving thread, handed out by bumping a pointer and reset after every request, so
// the common request costs no malloc at all. When it runs out, blocks come from the
// heap and are freed at the reset; both kinds count in the request's "alloc" figure.
// Besides allocate() (flexilib_alloc) it can grow, shrink and take back blocks, for
// allocators that ask for that (server/zig_allocator).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace flexilib::server {

class Arena {
public:
  static constexpr size_t min_alignment = 16;
  // Alignments up to this come from the buffer (page-aligned, so the padding, and the
  // "alloc" figure, are the same on every thread); larger ones from the heap.
  static constexpr size_t buffer_alignment = 4096;

  explicit Arena(size_t capacity);

  // Memory aligned to `alignment` (a power of two; at least 16 is given) valid until
  // reset(); nullptr when the heap is out or the size is absurd.
  void *allocate(size_t size, size_t alignment = min_alignment);

  // Changes the size of `block` (of `size` bytes, as allocated or last resized) to
  // `new_size` without moving it. Shrinking always works; growing works for the
  // newest block of the buffer when the buffer has room. False: nothing changed.
  bool resize(void *block, size_t size, size_t new_size);

  // Takes a block back: the newest block of the buffer returns to the buffer, a heap
  // block to the heap; any other block stays until reset(). The "alloc" figure is a
  // high-water mark, so it keeps what the block cost.
  void release(void *block, size_t size);

  // Frees every block of the request: the pre-allocated buffer is kept, overflow
  // blocks go back to the heap.
  void reset();

  size_t capacity() const { return capacity_; }       // the "pre-alloc" figure
  size_t allocated() const { return peak_; }          // the "alloc" figure since reset()
  size_t overflow_bytes() const { return overflow_; } // the part that came from the heap

  // The arena of the calling serving thread, or nullptr on other threads.
  static Arena *current();
  static void set_current(Arena *arena);

private:
  struct FreeDeleter {
    void operator()(void *block) const;
  };
  struct OverflowBlock {
    std::unique_ptr<void, FreeDeleter> memory;
    size_t size; // what it counts in the figures
  };

  bool in_buffer(const void *block) const;
  void hold(size_t bytes);

  std::unique_ptr<std::byte, FreeDeleter> buffer_;
  size_t capacity_;
  size_t used_ = 0; // the buffer's bump offset
  size_t held_ = 0; // bytes the request holds now: buffer offset + live heap blocks
  size_t peak_ = 0; // the most it held at once
  size_t overflow_ = 0;
  std::vector<OverflowBlock> overflow_blocks_;
};

} // namespace flexilib::server
