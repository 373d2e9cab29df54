// The per-thread request arena: RESPONSE_PREALLOCATION_KB bytes reserved once per
// serving thread, handed out by bumping a pointer and reset after every request, so
// the common request costs no malloc at all. When it runs out, blocks come from the
// heap and are freed at the reset; both kinds count in the request's "alloc" figure.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace flexilib::server {

class Arena {
public:
  explicit Arena(size_t capacity);

  // 16-byte aligned memory valid until reset(); nullptr only when the heap is out.
  void *allocate(size_t size);

  // Frees every block of the request: the pre-allocated buffer is kept, overflow
  // blocks go back to the heap.
  void reset();

  size_t capacity() const { return capacity_; }       // the "pre-alloc" figure
  size_t allocated() const { return allocated_; }     // the "alloc" figure since reset()
  size_t overflow_bytes() const { return overflow_; } // the part that came from the heap

  // The arena of the calling serving thread, or nullptr on other threads.
  static Arena *current();
  static void set_current(Arena *arena);

private:
  struct FreeDeleter {
    void operator()(void *block) const;
  };
  using Block = std::unique_ptr<void, FreeDeleter>;

  std::unique_ptr<std::byte[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  size_t allocated_ = 0;
  size_t overflow_ = 0;
  std::vector<Block> overflow_blocks_;
};

} // namespace flexilib::server
